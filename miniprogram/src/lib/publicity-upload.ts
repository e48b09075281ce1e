/**
 * Evidence images: chosen with Taro.chooseImage, checked (publicity-rules), then sent one by one to
 * POST /uploads (multipart, field `file`) with Taro.uploadFile, which the request module does not cover.
 * Same conduct as the request module: the token, an Idempotency-Key per picture (a retry stores it
 * once), failures turned into its Chinese ApiError, a 401 asking for the sign-in again.
 */
import Taro from '@tarojs/taro'
import { API_BASE, api } from '@/api'
import { newIdempotencyKey, toApiError } from '@/api/request'
import { session } from './session'
import type { PickedImage } from './publicity-rules'

export interface Evidence {
  /** The local picture (shown as the thumbnail while and after it is sent). */
  path: string
  /** The service's address of it, for evidence_urls. */
  url: string
}

// h5: straight to the file chooser (with the camera too, mobile browsers would first show a menu).
const SOURCES: ('album' | 'camera')[] = process.env.TARO_ENV === 'h5' ? ['album'] : ['album', 'camera']

/** Opens the album (h5: the file chooser); resolves with nothing when the person cancels. */
export async function pickImages(count: number): Promise<PickedImage[]> {
  try {
    const chosen = await Taro.chooseImage({ count, sizeType: ['compressed'], sourceType: SOURCES })
    return (chosen.tempFiles || []).map((file) => ({
      path: file.path,
      size: file.size,
      type: (file as { type?: string }).type,
    }))
  } catch {
    return [] // cancelled
  }
}

function parse(data: unknown): unknown {
  if (typeof data !== 'string') return data
  try {
    return JSON.parse(data)
  } catch {
    return null
  }
}

export async function uploadImage(image: PickedImage): Promise<Evidence> {
  const header: Record<string, string> = { Accept: 'application/json', 'Idempotency-Key': newIdempotencyKey() }
  const token = api.tokens.get()
  if (token) header.Authorization = `Bearer ${token}`
  let response: Taro.uploadFile.SuccessCallbackResult
  try {
    response = await Taro.uploadFile({ url: `${API_BASE}/uploads`, filePath: image.path, name: 'file', header })
  } catch {
    throw toApiError(null)
  }
  const data = parse(response.data)
  if (response.statusCode === 201 && data && typeof (data as { url?: unknown }).url === 'string') {
    return { path: image.path, url: (data as { url: string }).url }
  }
  const error = toApiError({ status: response.statusCode, headers: {}, data })
  if (error.kind === 'auth') {
    api.tokens.set(null)
    session.set({ user: null, signInRequested: true })
  }
  throw error
}

/**
 * weapp: ask (from the person's tap) to be told of the reply by a subscribe message; h5 has none.
 * Never blocks the objection: a refusal or a failure is only remembered by WeChat.
 */
export async function askForReplyMessage(templateId: string | undefined): Promise<void> {
  if (process.env.TARO_ENV !== 'weapp' || !templateId) return
  try {
    await Taro.requestSubscribeMessage({ tmplIds: [templateId] } as Taro.requestSubscribeMessage.Option)
  } catch {
    // refused, or the base library is too old: the objection goes on without the message
  }
}
