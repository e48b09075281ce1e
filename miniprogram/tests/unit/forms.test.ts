import { describe, expect, it } from 'vitest'
import { ApiError, createClient, type Transport } from '@/api/request'
import { hasMore, toggle, zoneQuery } from '@/lib/filters'
import { devCode, devNameProblem } from '@/lib/devlogin'
import { formatChange, formatDate, formatNumber } from '@/lib/format'
import { figuresFromProgramme, loadScoreboard } from '@/lib/scoreboard'

describe('the zones filters', () => {
  it('send only what is chosen', () => {
    expect(zoneQuery({ type: 'park' }, 1)).toEqual({ page: 1, per_page: 20, type: 'park' })
  })

  it('send every filter the person chose', () => {
    expect(zoneQuery({ type: 'school', level: 'near_zero', status: 'titled', district: 3, q: '中学' }, 2)).toEqual({
      page: 2,
      per_page: 20,
      type: 'school',
      level: 'near_zero',
      status: 'titled',
      district: 3,
      q: '中学',
    })
  })

  it('trim the search and drop a blank one', () => {
    expect(zoneQuery({ q: '   ' }, 1)).toEqual({ page: 1, per_page: 20 })
  })

  it('a chip tapped again clears its filter', () => {
    expect(toggle('park', 'park')).toBeUndefined()
  })

  it('another chip replaces the filter', () => {
    expect(toggle('park', 'school')).toBe('school')
  })

  it('endless scroll stops at the total', () => {
    expect([hasMore(20, 45), hasMore(45, 45)]).toEqual([true, false])
  })
})

describe('formatting', () => {
  it('dates in Chinese, as the service wrote them', () => {
    expect(formatDate('2026-11-26T00:30:00+08:00')).toBe('2026年11月26日')
  })

  it('numbers grouped, one decimal', () => {
    expect(formatNumber(86666.74)).toBe('86,666.7')
  })

  it('a missing number is a dash', () => {
    expect(formatNumber(null)).toBe('—')
  })

  it('a fall is 下降', () => {
    expect(formatChange(-20)).toBe('下降 20%')
  })
})

describe('the home scoreboard', () => {
  it('takes the figures the programme answers', () => {
    expect(figuresFromProgramme({ zones: { total: 30, titled: 12 } })).toEqual([
      { label: '公开示范区', value: 30, unit: undefined },
      { label: '已授予称号', value: 12, unit: undefined },
    ])
  })

  it('falls back to counting zones while /programme is 404', async () => {
    const transport: Transport = async (req) => {
      if (req.url.includes('/programme')) return { status: 404, headers: {}, data: { error: { code: 'not_found', message: '接口或资源不存在' } } }
      const status = new URL(req.url).searchParams.get('status')
      return { status: 200, headers: {}, data: { items: [], page: 1, per_page: 1, total: status === 'titled' ? 4 : status ? 1 : 9 } }
    }
    const api = createClient({ baseUrl: 'http://x', transport, tokens: { get: () => null, set: () => undefined } })
    const board = await loadScoreboard(api)
    expect(board.figures.map((f) => f.value)).toEqual([9, 4, 2])
  })

  it('does not hide another failure of /programme', async () => {
    const transport: Transport = async () => ({ status: 503, headers: {}, data: {} })
    const api = createClient({ baseUrl: 'http://x', transport, tokens: { get: () => null, set: () => undefined } })
    await expect(loadScoreboard(api)).rejects.toBeInstanceOf(ApiError)
  })
})

describe('the development sign-in', () => {
  it('sends the fake WeChat a name:N code', () => {
    expect(devCode(' alice ', 1700000000000, () => 0.5)).toBe('alice:1700000000000500000')
  })

  it('never sends the same code twice (each is single-use)', () => {
    expect(devCode('alice')).not.toBe(devCode('alice'))
  })

  it('refuses a name the fake cannot take, in Chinese', () => {
    expect(devNameProblem('张三')).toBe('请输入 1 至 32 位字母或数字')
  })

  it('takes a plain name', () => {
    expect(devNameProblem('alice_1')).toBe('')
  })
})
