/**
 * The one request module: every call to the service goes through `createClient(...).request`.
 *
 * - adds `Authorization: Bearer <token>` when signed in (the token lives in the given storage);
 * - sends the caller's `Idempotency-Key` (one per form submission: `newSubmission()`), and retries a
 *   dropped connection once with the same key, so a double tap or a retry books once;
 * - turns every failure into an `ApiError` whose `message` is Chinese and safe to show, with
 *   `fields` (field → message) for validation errors, so pages never show anything raw;
 * - on 401 forgets the token and tells `onSignInRequired` listeners (the page keeps its form);
 *   a 401 to a call sent without a token says 「请先登录」, never 「登录已失效」 (nothing expired).
 *
 * It knows nothing of Taro: src/api/index.ts wires Taro.request and Taro storage in, the unit tests
 * a fake transport.
 */

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

export interface TransportRequest {
  url: string
  method: Method
  headers: Record<string, string>
  data?: unknown
  timeout: number
}

export interface TransportResponse {
  status: number
  headers: Record<string, string>
  data: unknown
}

/** Resolves with any HTTP answer; rejects only when no answer came (offline, timeout, DNS). */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>

export interface TokenStorage {
  get(): string | null
  set(token: string | null): void
}

export type ErrorKind =
  | 'auth' // 401: sign in again
  | 'rate_limited' // 429: wait `retryAfter` seconds
  | 'unavailable' // 503 and other 5xx: try later
  | 'validation' // 422: see `fields`
  | 'conflict' // 409
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'consent' // 428 consent_required: accept the privacy policy first, then tap again
  | 'network' // no answer at all
  | 'other'

export interface ErrorBody {
  error?: { code?: string; message?: string; details?: Record<string, unknown> }
}

const GENERIC = '操作未成功，请稍后再试'
export const MESSAGES = {
  auth: '登录已失效，请重新登录',
  signIn: '请先登录',
  login: '登录未成功，请重试',
  network: '网络连接失败，请检查网络后重试',
  wechat_unavailable: '微信服务暂时不可用，请稍后再试',
  unavailable: '服务暂时不可用，请稍后再试',
  validation: '填写的内容有误，请按提示修改',
  forbidden: '没有权限执行此操作',
  not_found: '内容不存在或已下线',
  consent: '请先阅读并同意隐私保护指引，再重新提交',
  generic: GENERIC,
} as const

export function rateLimitMessage(seconds: number): string {
  return `请求过于频繁，请在${seconds}秒后重试`
}

export class ApiError extends Error {
  readonly kind: ErrorKind
  readonly status: number
  /** The service's snake_case code (`slot_full`, `wechat_unavailable`, …), for pages that react to one. */
  readonly code: string
  /** field → Chinese message, to show next to each field (validation errors). */
  readonly fields: Record<string, string>
  /** Seconds to wait (429). */
  readonly retryAfter: number | null
  /** The service's `details` as sent (e.g. `opens_at` of slot_not_released), for pages that word a refusal themselves. */
  readonly details: Record<string, unknown>

  constructor(init: {
    kind: ErrorKind
    status: number
    code: string
    message: string
    fields?: Record<string, string>
    retryAfter?: number | null
    details?: Record<string, unknown>
  }) {
    super(init.message)
    this.name = 'ApiError'
    this.kind = init.kind
    this.status = init.status
    this.code = init.code
    this.fields = init.fields ?? {}
    this.retryAfter = init.retryAfter ?? null
    this.details = init.details ?? {}
  }
}

const CHINESE = /[\u4e00-\u9fff]/

/**
 * The service's catch-all wordings (app/web/errors.py), written for developers: a page shows its own
 * plain Chinese instead (a 404's 「接口或资源不存在」 → 「内容不存在或已下线」).
 */
const DEVELOPER_WORDING = new Set(['接口或资源不存在'])

/** A text from the service is shown only when it is Chinese prose (never an English or technical text). */
function chineseOr(text: unknown, fallback: string): string {
  return typeof text === 'string' && CHINESE.test(text) && text.length <= 200 && !DEVELOPER_WORDING.has(text) ? text : fallback
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers || {})) {
    if (key.toLowerCase() === wanted) return String(value)
  }
  return undefined
}

/** Retry-After is seconds or an HTTP date; at least 1 second. */
export function retryAfterSeconds(value: string | undefined, now: number = Date.now()): number {
  if (!value) return 60
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds))
  const at = Date.parse(value)
  return Number.isNaN(at) ? 60 : Math.max(1, Math.ceil((at - now) / 1000))
}

/** `details` of a validation error → one message per field. Nested fields (`visitors.0.phone`) are flattened. */
export function fieldMessages(details: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  if (!details || typeof details !== 'object') return out
  if (Array.isArray(details)) {
    const first = details.find((item) => typeof item === 'string')
    if (prefix && first !== undefined) out[prefix] = chineseOr(first, '此项填写有误')
    return out
  }
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out[name] = chineseOr(value, '此项填写有误')
    else Object.assign(out, fieldMessages(value, name))
  }
  return out
}

/**
 * How the call that met a 401 was sent: with a token (it ran out: 「登录已失效」), without one (never
 * signed in: 「请先登录」), or as the sign-in itself (the service's own reason, e.g. 「账号已停用」).
 */
export type Credentials = 'token' | 'none' | 'login'

/** Any answer that is not 2xx, or no answer, → the ApiError a page shows. */
export function toApiError(response: TransportResponse | null, sentWith: Credentials = 'token'): ApiError {
  if (response === null) {
    return new ApiError({ kind: 'network', status: 0, code: 'network_error', message: MESSAGES.network })
  }
  const { status } = response
  const body = (response.data && typeof response.data === 'object' ? response.data : {}) as ErrorBody
  const code = typeof body.error?.code === 'string' ? body.error.code : `http_${status}`
  const serverMessage = body.error?.message
  const rawDetails = body.error?.details
  const details = rawDetails && typeof rawDetails === 'object' && !Array.isArray(rawDetails) ? (rawDetails as Record<string, unknown>) : {}
  if (status === 401) {
    const message = sentWith === 'token' ? MESSAGES.auth : sentWith === 'none' ? MESSAGES.signIn : chineseOr(serverMessage, MESSAGES.login)
    return new ApiError({ kind: 'auth', status, code, message })
  }
  if (status === 429) {
    const wait = retryAfterSeconds(header(response.headers, 'Retry-After'))
    return new ApiError({ kind: 'rate_limited', status, code, message: rateLimitMessage(wait), retryAfter: wait })
  }
  if (status === 428) {
    return new ApiError({ kind: 'consent', status, code, message: MESSAGES.consent })
  }
  if (code === 'wechat_unavailable') {
    return new ApiError({ kind: 'unavailable', status, code, message: MESSAGES.wechat_unavailable })
  }
  if (status === 422 || status === 400) {
    const fields = fieldMessages(body.error?.details)
    return new ApiError({ kind: 'validation', status, code, message: chineseOr(serverMessage, MESSAGES.validation), fields, details })
  }
  if (status >= 500) {
    return new ApiError({ kind: 'unavailable', status, code, message: MESSAGES.unavailable })
  }
  if (status === 409) return new ApiError({ kind: 'conflict', status, code, message: chineseOr(serverMessage, GENERIC), details })
  if (status === 403) {
    return new ApiError({ kind: 'forbidden', status, code, message: chineseOr(serverMessage, MESSAGES.forbidden), details })
  }
  if (status === 404) {
    return new ApiError({ kind: 'not_found', status, code, message: chineseOr(serverMessage, MESSAGES.not_found) })
  }
  return new ApiError({ kind: 'other', status, code, message: chineseOr(serverMessage, GENERIC), details })
}

/** A random key (RFC 4122 v4 shape) without needing crypto.randomUUID, which weapp lacks. */
export function newIdempotencyKey(random: () => number = Math.random): string {
  const hex = '0123456789abcdef'
  let out = ''
  for (let i = 0; i < 32; i++) {
    let digit = Math.floor(random() * 16)
    if (i === 12) digit = 4
    if (i === 16) digit = (digit & 0x3) | 0x8
    out += hex[digit]
    if (i === 7 || i === 11 || i === 15 || i === 19) out += '-'
  }
  return out
}

/**
 * One form's submission: the same key for every attempt (double tap, retry after a dropped network)
 * until the service accepted it; `done()` after success gives the form a new key for a new, different
 * submission.
 */
export interface Submission {
  readonly key: string
  done(): void
}

export function newSubmission(random?: () => number): Submission {
  let key = newIdempotencyKey(random)
  return {
    get key() {
      return key
    },
    done() {
      key = newIdempotencyKey(random)
    },
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  method?: Method
  query?: Query
  body?: unknown
  /** The form's submission (its Idempotency-Key); writes without one are not retried. */
  submission?: Submission
  /** Send no token even when signed in (the login call itself). */
  anonymous?: boolean
}

export interface ClientOptions {
  baseUrl: string
  transport: Transport
  tokens: TokenStorage
  timeout?: number
}

export function queryString(query: Query | undefined): string {
  if (!query) return ''
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

/** `expired`: the call carried a token that no longer works (登录已失效), not a first sign-in (请先登录). */
export type SignInListener = (error: ApiError, info: { expired: boolean }) => void
export type ConsentListener = (error: ApiError) => void

export function createClient(options: ClientOptions) {
  const listeners = new Set<SignInListener>()
  const consentListeners = new Set<ConsentListener>()
  const timeout = options.timeout ?? 15000

  async function send(req: TransportRequest, retriable: boolean): Promise<TransportResponse> {
    try {
      return await options.transport(req)
    } catch {
      if (!retriable) throw toApiError(null)
    }
    // One retry: a GET, or a write carrying its Idempotency-Key (the service answers it once).
    try {
      return await options.transport(req)
    } catch {
      throw toApiError(null)
    }
  }

  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const method = opts.method ?? 'GET'
    const headers: Record<string, string> = { Accept: 'application/json' }
    const token = opts.anonymous ? null : options.tokens.get()
    if (token) headers.Authorization = `Bearer ${token}`
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    if (opts.submission) headers['Idempotency-Key'] = opts.submission.key
    const req: TransportRequest = {
      url: `${options.baseUrl}${path}${queryString(opts.query)}`,
      method,
      headers,
      data: opts.body,
      timeout,
    }
    const response = await send(req, method === 'GET' || Boolean(opts.submission))
    if (response.status >= 200 && response.status < 300) {
      return response.data as T
    }
    const error = toApiError(response, opts.anonymous ? 'login' : token ? 'token' : 'none')
    if (error.kind === 'auth' && !opts.anonymous) {
      if (token) options.tokens.set(null)
      listeners.forEach((listener) => listener(error, { expired: Boolean(token) }))
      // A read sent with a token that ran out: public pages (boards, articles) read again signed
      // out, so the page shows what anyone sees beside the sign-in prompt instead of an error.
      if (token && method === 'GET') {
        try {
          return await request<T>(path, { ...opts, anonymous: true })
        } catch (again) {
          // Still refused signed out (the read needs a sign-in): the reason is the token that ran out.
          throw again instanceof ApiError && again.kind === 'auth' ? error : again
        }
      }
    }
    if (error.kind === 'consent') consentListeners.forEach((listener) => listener(error))
    throw error
  }

  return {
    request,
    get: <T>(path: string, query?: Query) => request<T>(path, { query }),
    post: <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'body'> = {}) =>
      request<T>(path, { ...opts, method: 'POST', body }),
    patch: <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'body'> = {}) =>
      request<T>(path, { ...opts, method: 'PATCH', body }),
    put: <T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'body'> = {}) =>
      request<T>(path, { ...opts, method: 'PUT', body }),
    del: <T>(path: string, opts: Omit<RequestOptions, 'method'> = {}) => request<T>(path, { ...opts, method: 'DELETE' }),
    /** Called on every 401: show the sign-in, keep the form. Returns the unsubscribe function. */
    onSignInRequired(listener: SignInListener): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    /** Called on every 428 consent_required: show the privacy policy, keep the form. Returns the unsubscribe. */
    onConsentRequired(listener: ConsentListener): () => void {
      consentListeners.add(listener)
      return () => consentListeners.delete(listener)
    },
    tokens: options.tokens,
  }
}

export type Client = ReturnType<typeof createClient>

/** The message a page shows for any thrown value (ApiError or a bug): always Chinese. */
export function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : GENERIC
}

/**
 * Whether tapping 重试 can help: a dropped connection, a busy or failing service, a wait (429), a
 * sign-in or consent asked for first. Not a 4xx the same request will meet again (404, 403, 409, 422…).
 */
export function canRetry(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true
  if (['network', 'unavailable', 'rate_limited', 'auth', 'consent'].includes(error.kind)) return true
  return error.status >= 500 || error.status < 400
}

/** What a page shows when a read failed: the Chinese message, and whether to offer 重试. */
export interface Failure {
  message: string
  retry: boolean
}

/**
 * A failed read, for a page without a form field to put a 422's field messages under: the fields'
 * own messages (named by `labels`: `{ q: '搜索词' }` → 「搜索词长度不能超过 50」) instead of the vague
 * 「请求参数有误」.
 */
export function failureOf(error: unknown, labels: Record<string, string> = {}): Failure {
  let message = messageOf(error)
  if (error instanceof ApiError && error.kind === 'validation') {
    const said = Object.entries(error.fields).map(([field, text]) => `${labels[field] ?? ''}${text}`)
    if (said.length) message = [...new Set(said)].join('；')
  }
  return { message, retry: canRetry(error) }
}
