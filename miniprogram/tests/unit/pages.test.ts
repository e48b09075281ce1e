/**
 * What the pages show when a read fails or a link is wrong, the home page's 正在公示, and the plain
 * rules behind the forms' fixes (found by a tester on the h5 pages).
 */
import { describe, expect, it } from 'vitest'
import { canRetry, failureOf, toApiError, type TransportResponse } from '@/api/request'
import { QUERY_MAX, SEARCH_LABELS, zoneQuery } from '@/lib/filters'
import { combineFailures, listView } from '@/lib/load-state'
import { idParam } from '@/lib/params'
import { signInWording } from '@/lib/signin-text'
import { routes, tabs, ways } from '@/routes'
import { firstOpen, isOpenNow, periodText } from '@/lib/publicity-format'
import { joinCodeProblem, normalizeJoinCode } from '@/lib/students-rules'

function answer(status: number, code: string, message: string, details?: unknown): TransportResponse {
  return { status, headers: {}, data: { error: { code, message, details } } }
}

describe('a failed read', () => {
  it('a search over 50 characters: the field message, named, not 「请求参数有误」, and no 重试', () => {
    const error = toApiError(answer(422, 'validation_error', '请求参数有误', { q: ['长度不能超过 50'] }))
    expect(failureOf(error, SEARCH_LABELS)).toEqual({ message: '搜索词长度不能超过 50', retry: false })
  })

  it('a 422 without field messages keeps its Chinese summary', () => {
    expect(failureOf(toApiError(answer(422, 'validation_error', '请求参数有误'))).message).toBe('请求参数有误')
  })

  it('a 404: the service’s own sentence, without 重试', () => {
    expect(failureOf(toApiError(answer(404, 'not_found', '公示不存在')))).toEqual({ message: '公示不存在', retry: false })
  })

  it('the generic 404 (「接口或资源不存在」, developer wording) is said in plain Chinese', () => {
    expect(toApiError(answer(404, 'not_found', '接口或资源不存在')).message).toBe('内容不存在或已下线')
    expect(toApiError({ status: 404, headers: {}, data: '' }).message).toBe('内容不存在或已下线')
  })

  it('another person’s record (403) or a conflict (409): no 重试', () => {
    expect(canRetry(toApiError(answer(403, 'forbidden', '无权查看')))).toBe(false)
    expect(canRetry(toApiError(answer(409, 'slot_full', '该时段已约满')))).toBe(false)
  })

  it('no answer, a failing service, a wait, a sign-in: 重试 is offered', () => {
    expect(canRetry(toApiError(null))).toBe(true)
    expect(canRetry(toApiError({ status: 502, headers: {}, data: '' }))).toBe(true)
    expect(canRetry(toApiError({ status: 429, headers: { 'Retry-After': '3' }, data: {} }))).toBe(true)
    expect(canRetry(toApiError(answer(401, 'unauthorized', '请登录')))).toBe(true)
    expect(canRetry(new Error('a bug'))).toBe(true)
  })
})

describe('the zones search', () => {
  it('sends at most 50 characters (the API’s limit for q)', () => {
    const q = zoneQuery({ q: '低'.repeat(80) }, 1).q as string
    expect(Array.from(q)).toHaveLength(QUERY_MAX)
    expect(QUERY_MAX).toBe(50)
  })

  it('counts characters, not UTF-16 units (an emoji is one)', () => {
    expect(Array.from(zoneQuery({ q: '🌱'.repeat(60) }, 1).q as string)).toHaveLength(50)
  })
})

describe('an id in a page’s query', () => {
  it('a positive whole number', () => {
    expect(idParam('12')).toBe(12)
    expect(idParam(' 7 ')).toBe(7)
  })

  it('anything else is no id (no /zones/NaN request)', () => {
    expect([idParam('abc'), idParam(undefined), idParam(''), idParam('0'), idParam('-3'), idParam('1.5'), idParam('1e3'), idParam('12abc')]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
    ])
  })
})

describe('the home page’s 正在公示', () => {
  const NOW = Date.parse('2026-11-30T12:00:00+08:00')
  const open = { id: 2, window_state: 'open', starts_at: '2026-11-25T00:00:00+08:00', ends_at: '2026-12-04T00:00:00+08:00' }
  const upcoming = { id: 3, window_state: 'upcoming', starts_at: '2026-12-10T00:00:00+08:00', ends_at: '2026-12-17T00:00:00+08:00' }

  it('one last day everywhere: a period ending at midnight on 4 December last ran on 3 December', () => {
    expect(periodText(open.starts_at, open.ends_at)).toBe('2026年11月25日至12月3日')
  })

  it('skips a notice that has not started', () => {
    expect(firstOpen([upcoming, open], NOW)).toBe(open)
    expect(firstOpen([upcoming], NOW)).toBeNull()
  })

  it('the notice’s own state decides; without one, its times against now', () => {
    expect(isOpenNow({ ...upcoming, window_state: undefined }, NOW)).toBe(false)
    expect(isOpenNow({ ...open, window_state: undefined }, NOW)).toBe(true)
    expect(isOpenNow({ ...open, window_state: undefined }, Date.parse(open.ends_at))).toBe(false)
    expect(isOpenNow({ ...open, window_state: 'closed' }, NOW)).toBe(false)
  })
})

describe('the class code typed in full-width characters', () => {
  it('is read as the same letters and digits (NFKC)', () => {
    expect(normalizeJoinCode('ＡＧ５ＣＱＭＢＫ')).toBe('AG5CQMBK')
    expect(normalizeJoinCode('ａｇ５ｃ－ｑｍｂｋ')).toBe('AG5CQMBK')
  })

  it('is accepted', () => {
    expect(joinCodeProblem('ＡＧ５ＣＱＭＢＫ')).toBe('')
  })
})

describe('the sign-in prompt’s words', () => {
  it('a person who never signed in is asked to sign in', () => {
    expect(signInWording(false).message).toMatch(/^请先登录/)
  })

  it('… and never told a sign-in expired', () => {
    expect(signInWording(false).message).not.toMatch(/失效/)
  })

  it('a token that ran out is said as such', () => {
    expect(signInWording(true).message).toMatch(/^登录已失效/)
  })

  it('the button signs in, or signs in again', () => {
    expect([signInWording(false).button, signInWording(true).button]).toEqual(['登录', '重新登录'])
  })
})

describe('a list that failed to load (校园低碳 after a network failure)', () => {
  const network = failureOf(toApiError(null))

  it('shows the failure, not 「暂无…」', () => {
    expect(listView(null, network)).toBe('failed')
  })

  it('even when an older read left an empty list behind', () => {
    expect(listView([], network)).toBe('failed')
  })

  it('an empty list read successfully is empty', () => {
    expect(listView([], null)).toBe('empty')
  })

  it('a list not read yet is loading', () => {
    expect(listView(null, null)).toBe('loading')
  })

  it('one error box for reads that failed alike, the message once', () => {
    expect(combineFailures([network, null, network])).toEqual({ message: '网络连接失败，请检查网络后重试', retry: true })
  })

  it('重试 when any failed read can be read again', () => {
    const missing = failureOf(toApiError(answer(404, 'not_found', '学校不存在')))
    expect(combineFailures([missing, network])?.retry).toBe(true)
  })

  it('nothing failed, no error box', () => {
    expect(combineFailures([null, undefined])).toBeNull()
  })
})

describe('a page that cannot show what its link named offers the way to its list (h5 has no back button)', () => {
  it('a missing zone: the zones tab', () => {
    expect(ways.zones).toEqual({ label: '查看全部示范区', url: tabs.zones, tab: true })
  })

  it('a missing base: the bases tab', () => {
    expect(ways.bases).toEqual({ label: '查看全部教育基地', url: tabs.visits, tab: true })
  })

  it('a booking link without its date: back to the base', () => {
    expect(ways.base(3)).toEqual({ label: '返回基地页面', url: routes.base(3) })
  })

  it('a missing notice: the notices', () => {
    expect(ways.notices.url).toBe(routes.publicity())
  })

  it('a missing article: the knowledge list', () => {
    expect(ways.articles.url).toBe(routes.knowledge())
  })
})

describe('我的预约 after joining a waitlist', () => {
  it('opens on its 候补 tab, where the request is listed', () => {
    expect(routes.myBookings('waitlist')).toBe('/packages/visits/bookings/index?show=waitlist')
  })
})
