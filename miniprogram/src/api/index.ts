/** The app's client: the request module wired to Taro (its request and storage). Pages import from here. */
import Taro from '@tarojs/taro'
import { createClient, type TokenStorage, type Transport } from './request'

export { ApiError, canRetry, failureOf, type Failure, MESSAGES, messageOf, newSubmission, type Submission } from './request'
export { useSubmission } from './hooks'

const TOKEN_KEY = 'lowcarbon.token'

const taroTransport: Transport = async (req) => {
  const response = await Taro.request({
    url: req.url,
    method: req.method,
    header: req.headers,
    data: req.data as Record<string, unknown> | undefined,
    timeout: req.timeout,
    dataType: 'json',
  })
  return { status: response.statusCode, headers: (response.header || {}) as Record<string, string>, data: response.data }
}

const taroTokens: TokenStorage = {
  get: () => (Taro.getStorageSync(TOKEN_KEY) as string) || null,
  set: (token) => (token ? Taro.setStorageSync(TOKEN_KEY, token) : Taro.removeStorageSync(TOKEN_KEY)),
}

/** h5: the page's own origin (the service serves /h5/); weapp: API_ORIGIN from the build. */
export const API_BASE = `${API_ORIGIN}/api/mp/v1`

export const api = createClient({ baseUrl: API_BASE, transport: taroTransport, tokens: taroTokens })
