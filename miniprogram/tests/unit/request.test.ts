import { describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  createClient,
  fieldMessages,
  messageOf,
  newIdempotencyKey,
  newSubmission,
  queryString,
  rateLimitMessage,
  retryAfterSeconds,
  toApiError,
  type TokenStorage,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from '@/api/request'

function memoryTokens(initial: string | null = null): TokenStorage {
  let token = initial
  return { get: () => token, set: (value) => (token = value) }
}

/** A fake transport answering from a list (an Error entry is a dropped connection), recording requests. */
function fakeTransport(...answers: (TransportResponse | Error)[]) {
  const seen: TransportRequest[] = []
  const transport: Transport = async (req) => {
    seen.push(req)
    const next = answers.shift()
    if (!next) throw new Error('no more answers')
    if (next instanceof Error) throw next
    return next
  }
  return { transport, seen }
}

const ok = (data: unknown, status = 200): TransportResponse => ({ status, headers: {}, data })
const failure = (status: number, code: string, message = '', details: unknown = {}, headers: Record<string, string> = {}) => ({
  status,
  headers,
  data: { error: { code, message, details } },
})

function client(transport: Transport, token: string | null = null) {
  return createClient({ baseUrl: 'https://api.test/api/mp/v1', transport, tokens: memoryTokens(token) })
}

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise
  } catch (error) {
    return error as ApiError
  }
  throw new Error('expected a failure')
}

describe('the request', () => {
  it('goes to the base URL with the query, without empty values', async () => {
    const { transport, seen } = fakeTransport(ok({ items: [] }))
    await client(transport).get('/zones', { type: 'park', q: '', page: 2, district: undefined })
    expect(seen[0].url).toBe('https://api.test/api/mp/v1/zones?type=park&page=2')
  })

  it('encodes a Chinese search', () => {
    expect(queryString({ q: '景区' })).toBe('?q=%E6%99%AF%E5%8C%BA')
  })

  it('carries the bearer token when signed in', async () => {
    const { transport, seen } = fakeTransport(ok({}))
    await client(transport, 'tok-1').get('/me')
    expect(seen[0].headers.Authorization).toBe('Bearer tok-1')
  })

  it('carries no token when signed out', async () => {
    const { transport, seen } = fakeTransport(ok({}))
    await client(transport).get('/meta')
    expect(seen[0].headers.Authorization).toBeUndefined()
  })

  it('carries no token on an anonymous call (the login itself)', async () => {
    const { transport, seen } = fakeTransport(ok({}))
    await client(transport, 'old').post('/auth/login', { code: 'x' }, { anonymous: true })
    expect(seen[0].headers.Authorization).toBeUndefined()
  })

  it('answers the body of a 2xx', async () => {
    const { transport } = fakeTransport(ok({ id: 7 }, 201))
    await expect(client(transport).post('/bookings', {})).resolves.toEqual({ id: 7 })
  })
})

describe('the Idempotency-Key of a form submission', () => {
  it('is sent with the submission', async () => {
    const submission = newSubmission()
    const { transport, seen } = fakeTransport(ok({}, 201))
    await client(transport, 't').post('/bookings', { slot_id: 1 }, { submission })
    expect(seen[0].headers['Idempotency-Key']).toBe(submission.key)
  })

  it('is the same on a double tap', async () => {
    const submission = newSubmission()
    const { transport, seen } = fakeTransport(ok({}, 201), ok({}, 201))
    const api = client(transport, 't')
    await Promise.all([api.post('/bookings', {}, { submission }), api.post('/bookings', {}, { submission })])
    expect(seen[1].headers['Idempotency-Key']).toBe(seen[0].headers['Idempotency-Key'])
  })

  it('is reused when a dropped connection is retried', async () => {
    const submission = newSubmission()
    const { transport, seen } = fakeTransport(new Error('socket hang up'), ok({ id: 1 }, 201))
    await client(transport, 't').post('/bookings', {}, { submission })
    expect(seen.map((r) => r.headers['Idempotency-Key'])).toEqual([submission.key, submission.key])
  })

  it('is reused when the person taps again after a failure', async () => {
    const submission = newSubmission()
    const { transport, seen } = fakeTransport(new Error('down'), new Error('down'), ok({}, 201))
    const api = client(transport, 't')
    await caught(api.post('/bookings', {}, { submission }))
    await api.post('/bookings', {}, { submission })
    expect(seen[2].headers['Idempotency-Key']).toBe(seen[0].headers['Idempotency-Key'])
  })

  it('is new after the submission is done', () => {
    const submission = newSubmission()
    const first = submission.key
    submission.done()
    expect(submission.key).not.toBe(first)
  })

  it('differs between two forms', () => {
    expect(newSubmission().key).not.toBe(newSubmission().key)
  })

  it('has the UUID v4 shape', () => {
    expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('is not sent on a write without a submission', async () => {
    const { transport, seen } = fakeTransport(ok({}))
    await client(transport, 't').post('/auth/logout')
    expect(seen[0].headers['Idempotency-Key']).toBeUndefined()
  })

  it('a write without a submission is not retried after a dropped connection', async () => {
    const { transport, seen } = fakeTransport(new Error('down'), ok({}))
    await caught(client(transport, 't').post('/auth/logout'))
    expect(seen).toHaveLength(1)
  })
})

describe('errors, in Chinese', () => {
  it('401: sign in again', () => {
    expect(toApiError(failure(401, 'unauthorized', 'Missing token')).message).toBe('登录已失效，请重新登录')
  })

  it('401 forgets the token', async () => {
    const tokens = memoryTokens('expired')
    const { transport } = fakeTransport(failure(401, 'unauthorized'), failure(401, 'unauthorized'))
    const api = createClient({ baseUrl: '', transport, tokens })
    await caught(api.get('/me'))
    expect(tokens.get()).toBeNull()
  })

  it('401 asks for the sign-in (the page keeps its form)', async () => {
    const { transport } = fakeTransport(failure(401, 'unauthorized'))
    const api = client(transport, 'expired')
    const listener = vi.fn()
    api.onSignInRequired(listener)
    await caught(api.post('/bookings', {}, { submission: newSubmission() }))
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('a read refused for a token that ran out is read again signed out', async () => {
    const { transport } = fakeTransport(failure(401, 'unauthorized'), ok({ items: ['public'] }))
    expect(await client(transport, 'expired').get('/campaigns/1/leaderboard')).toEqual({ items: ['public'] })
  })

  it('the second read carries no token', async () => {
    const { transport, seen } = fakeTransport(failure(401, 'unauthorized'), ok({ items: [] }))
    await client(transport, 'expired').get('/campaigns/1/posts')
    expect(seen[1].headers.Authorization).toBeUndefined()
  })

  it('a read that needs the sign-in still fails once signed out', async () => {
    const { transport } = fakeTransport(failure(401, 'unauthorized'), failure(401, 'unauthorized'))
    expect((await caught(client(transport, 'expired').get('/me/bookings'))).kind).toBe('auth')
  })

  it('a write refused for a token that ran out is not sent again', async () => {
    const { transport, seen } = fakeTransport(failure(401, 'unauthorized'), ok({}))
    await caught(client(transport, 'expired').post('/bookings', {}, { submission: newSubmission() }))
    expect(seen.length).toBe(1)
  })

  it('401 to a call sent without a token: 请先登录, never 登录已失效 (nothing expired)', async () => {
    const { transport } = fakeTransport(failure(401, 'unauthorized'))
    expect((await caught(client(transport).get('/me/objections/R1'))).message).toBe('请先登录')
  })

  it('the sign-in listener hears whether a token ran out (false when there was none)', async () => {
    const { transport } = fakeTransport(failure(401, 'unauthorized'))
    const api = client(transport)
    const listener = vi.fn()
    api.onSignInRequired(listener)
    await caught(api.post('/zones/1/follow'))
    expect(listener.mock.calls[0][1]).toEqual({ expired: false })
  })

  it('… and true when a token stopped working', async () => {
    const { transport } = fakeTransport(failure(401, 'token_expired'))
    const api = client(transport, 'expired')
    const listener = vi.fn()
    api.onSignInRequired(listener)
    await caught(api.post('/zones/1/follow'))
    expect(listener.mock.calls[0][1]).toEqual({ expired: true })
  })

  it('a refused login says the service’s reason, not 登录已失效', async () => {
    const { transport } = fakeTransport(failure(401, 'account_disabled', '账号已停用'))
    expect((await caught(client(transport).post('/auth/login', { code: 'x' }, { anonymous: true }))).message).toBe('账号已停用')
  })

  it('a refusal keeps the service’s details for the page to word (slot_not_released’s opens_at)', () => {
    const error = toApiError(failure(422, 'slot_not_released', '该时段尚未开放预约，将于 2026-11-28 08:00 开放', { opens_at: '2026-11-28T08:00:00+08:00' }))
    expect(error.details).toEqual({ opens_at: '2026-11-28T08:00:00+08:00' })
  })

  it('401 on the login itself does not ask for another sign-in', async () => {
    const { transport } = fakeTransport(failure(401, 'invalid_code'))
    const api = client(transport)
    const listener = vi.fn()
    api.onSignInRequired(listener)
    await caught(api.post('/auth/login', { code: 'bad' }, { anonymous: true }))
    expect(listener).not.toHaveBeenCalled()
  })

  it('428 consent_required: the consent prompt, in Chinese', () => {
    const error = toApiError(failure(428, 'consent_required', 'Privacy policy not accepted'))
    expect(error.message).toBe('请先阅读并同意隐私保护指引，再重新提交')
  })

  it('428 is of its own kind, so pages can tell it from other refusals', () => {
    expect(toApiError(failure(428, 'consent_required')).kind).toBe('consent')
  })

  it('428 asks for the consent prompt once', async () => {
    const { transport } = fakeTransport(failure(428, 'consent_required'))
    const api = client(transport, 'token')
    const listener = vi.fn()
    api.onConsentRequired(listener)
    await caught(api.post('/bookings', {}, { submission: newSubmission() }))
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('428 keeps the sign-in', async () => {
    const tokens = memoryTokens('token')
    const { transport } = fakeTransport(failure(428, 'consent_required'))
    const api = createClient({ baseUrl: 'https://svc/api/mp/v1', transport, tokens })
    await caught(api.post('/bookings', {}, { submission: newSubmission() }))
    expect(tokens.get()).toBe('token')
  })

  it('another refusal does not ask for consent', async () => {
    const { transport } = fakeTransport(failure(409, 'slot_full', '名额已满'))
    const api = client(transport, 'token')
    const listener = vi.fn()
    api.onConsentRequired(listener)
    await caught(api.post('/bookings', {}, { submission: newSubmission() }))
    expect(listener).not.toHaveBeenCalled()
  })

  it('429: wait the Retry-After seconds', () => {
    const error = toApiError(failure(429, 'rate_limited', 'Too Many Requests', {}, { 'retry-after': '42' }))
    expect(error.message).toBe('请求过于频繁，请在42秒后重试')
  })

  it('429 keeps the seconds for a countdown', () => {
    expect(toApiError(failure(429, 'rate_limited', '', {}, { 'Retry-After': '7' })).retryAfter).toBe(7)
  })

  it('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-25T08:00:00Z')
    expect(retryAfterSeconds('Wed, 25 Nov 2026 08:00:30 GMT', now)).toBe(30)
  })

  it('Retry-After missing: a minute', () => {
    expect(rateLimitMessage(retryAfterSeconds(undefined))).toBe('请求过于频繁，请在60秒后重试')
  })

  it('503 wechat_unavailable: try later', () => {
    expect(toApiError(failure(503, 'wechat_unavailable', 'WeChat API error -1')).message).toBe('微信服务暂时不可用，请稍后再试')
  })

  it('another 5xx: the service is unavailable, never its text', () => {
    expect(toApiError({ status: 502, headers: {}, data: '<html>Bad Gateway</html>' }).message).toBe('服务暂时不可用，请稍后再试')
  })

  it('422: a message per field', () => {
    const error = toApiError(failure(422, 'validation_error', '请求参数有误', { phone: ['手机号格式不正确'], name: ['缺少必填字段'] }))
    expect(error.fields).toEqual({ phone: '手机号格式不正确', name: '缺少必填字段' })
  })

  it('422: nested fields are flattened to paths', () => {
    expect(fieldMessages({ visitors: { '0': { id_number: ['证件号码不正确'] } } })).toEqual({ 'visitors.0.id_number': '证件号码不正确' })
  })

  it('422: an English field message is not shown raw', () => {
    expect(fieldMessages({ slot_id: ['Not a valid integer.'] })).toEqual({ slot_id: '此项填写有误' })
  })

  it('422: the Chinese summary is kept', () => {
    expect(toApiError(failure(422, 'validation_error', '请求参数有误', { a: ['缺少必填字段'] })).message).toBe('请求参数有误')
  })

  it('409 with a Chinese message: that message (e.g. slot_full)', () => {
    const error = toApiError(failure(409, 'slot_full', '该时段已约满，可加入候补'))
    expect([error.kind, error.code, error.message]).toEqual(['conflict', 'slot_full', '该时段已约满，可加入候补'])
  })

  it('an English message is never shown', () => {
    expect(toApiError(failure(409, 'conflict', 'duplicate key value violates unique constraint')).message).toBe('操作未成功，请稍后再试')
  })

  it('a network failure: a Chinese message', async () => {
    const { transport } = fakeTransport(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'))
    const error = await caught(client(transport).get('/zones'))
    expect([error.kind, error.message]).toEqual(['network', '网络连接失败，请检查网络后重试'])
  })

  it('a GET is tried again once after a dropped connection', async () => {
    const { transport } = fakeTransport(new Error('reset'), ok({ total: 3 }))
    await expect(client(transport).get('/zones')).resolves.toEqual({ total: 3 })
  })

  it('a bug (not an ApiError) still gives a Chinese message', () => {
    expect(messageOf(new TypeError('x is undefined'))).toBe('操作未成功，请稍后再试')
  })
})
