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

const SOURCES: ('album' | 'camera')[] = ['album', 'camera']

/** h5: whether the browser can decode the picture (a damaged PNG, or text named .png, cannot). */
function decodes(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const image = new Image()
    image.onload = () => resolve(image.naturalWidth > 0)
    image.onerror = () => resolve(false)
    image.src = url
  })
}

/**
 * h5: the browser's own file chooser. Taro's chooseImage there silently leaves out a file it cannot
 * decode (a damaged picture), so the person would never learn why it is missing: here every chosen
 * file comes back, an undecodable one marked `unreadable` (imageProblem says so). Every file is kept
 * (not only `count`): the form says when too many were chosen.
 */
function chooseInBrowser(count: number): Promise<PickedImage[]> {
  return new Promise((resolve) => {
    const input = document.createElement('input')
    input.type = 'file'
    input.accept = 'image/*'
    input.multiple = count > 1
    input.setAttribute('style', 'position: fixed; top: -4000px; left: -3000px;')
    const finish = (files: PickedImage[]) => {
      input.remove()
      resolve(files)
    }
    input.addEventListener('change', async () => {
      const files = Array.from(input.files ?? [])
      finish(
        await Promise.all(
          files.map(async (file) => {
            const path = URL.createObjectURL(file)
            const readable = file.type.startsWith('image/') && file.size > 0 ? await decodes(path) : true
            return { path, size: file.size, type: file.type || undefined, unreadable: !readable }
          }),
        ),
      )
    })
    input.addEventListener('cancel', () => finish([]))
    document.body.appendChild(input)
    input.click()
  })
}

/** Opens the album (h5: the file chooser); resolves with nothing when the person cancels. */
export async function pickImages(count: number): Promise<PickedImage[]> {
  if (process.env.TARO_ENV === 'h5') return chooseInBrowser(count)
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
  const error = toApiError({ status: response.statusCode, headers: {}, data }, token ? 'token' : 'none')
  if (error.kind === 'auth') {
    api.tokens.set(null)
    session.set({ user: null, signInRequested: true, signInExpired: Boolean(token) })
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
