import { describe, expect, it } from 'vitest'
import { ApiError, createClient, type Transport } from '@/api/request'
import { hasMore, toggle, zoneQuery } from '@/lib/filters'
import { devCode, devNameProblem } from '@/lib/devlogin'
import { formatChange, formatDate, formatNumber } from '@/lib/format'
import { createGuard } from '@/lib/guard'
import { figuresFromProgramme, loadScoreboard, type Programme } from '@/lib/scoreboard'

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

/** GET /programme as the service answers it (ProgrammeOut: typed, so a renamed field fails tsc). */
const PROGRAMME: Programme = {
  generated_at: '2026-11-28T01:59:23+08:00',
  zones: { total: 37, by_type: [], by_level: [], by_status: [], by_type_level_status: [], by_district: [] },
  titles: { total: 16, per_year: [{ year: 2025, count: 16 }] },
  construction: { total: 9, with_data: 6, without_data: 3, on_track: 2, off_track: 4, on_track_share: 0.333 },
  reductions: { units: [] },
  visits: { education_bases: 3, visitors_total: 22, visitors_per_month: [{ month: '2026-11', visitors: 22 }] },
  publicity: { notices: 5, objections: 14, upheld: 4, per_year: [] },
  campaigns: { schools: 2, campaigns: 5, students: 14, checkins: 48, class_actions: 2, co2_kg: 13.35, co2_is_estimate: true, estimate_note: '减排量为教育性估算' },
}
const figure = (label: string) => figuresFromProgramme(PROGRAMME).find((f) => f.label === label)

describe('the home scoreboard', () => {
  it('reads the titles granted from titles.total', () => {
    expect(figure('累计授予称号')?.value).toBe(16)
  })

  it('reads the zones under construction from construction.total', () => {
    expect(figure('创建中')?.value).toBe(9)
  })

  it('reads the education bases from visits.education_bases', () => {
    expect(figure('教育基地')?.value).toBe(3)
  })

  it('reads the visitors from visits.visitors_total', () => {
    expect(figure('参观人次')?.value).toBe(22)
  })

  it('labels the one reduction shown as the school campaigns’ estimate', () => {
    expect(figure('校园活动减碳（估算）')).toEqual({ label: '校园活动减碳（估算）', value: 13.35, unit: 'kg CO₂e' })
  })

  it('shows no bare 「减碳」 figure', () => {
    expect(figure('减碳')).toBeUndefined()
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

describe('a double tap sends one request (开发用登录, 保存学校和班级, 关注, 参加活动, 打卡)', () => {
  it('a second tap while the first is being answered sends nothing', async () => {
    const guard = createGuard()
    let sent = 0
    let answer: () => void = () => undefined
    const work = () => {
      sent += 1
      return new Promise<void>((resolve) => (answer = resolve))
    }
    const first = guard.run(work)
    await guard.run(work)
    answer()
    await first
    expect(sent).toBe(1)
  })

  it('the second tap resolves at once with nothing', async () => {
    const guard = createGuard()
    const first = guard.run(() => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 5)))
    expect(await guard.run(async () => 'again')).toBeUndefined()
    await first
  })

  it('after the answer, the next tap is sent', async () => {
    const guard = createGuard()
    await guard.run(async () => 'first')
    expect(await guard.run(async () => 'second')).toBe('second')
  })

  it('a failed request frees the button too', async () => {
    const guard = createGuard()
    await guard.run(async () => Promise.reject(new Error('network'))).catch(() => undefined)
    expect(guard.running).toBe(false)
  })

  it('tells the page when it is busy (the button’s disabled state)', async () => {
    const states: boolean[] = []
    await createGuard((busy) => states.push(busy)).run(async () => undefined)
    expect(states).toEqual([true, false])
  })
})
