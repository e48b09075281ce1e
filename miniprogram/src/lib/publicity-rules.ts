/**
 * The objection form's rules, checked before sending (the service stays the judge). Each mirrors the
 * service: app/publicity/schemas.py (ObjectionIn), app/validators.py (names, phones, documents) and
 * miniprogram_api/uploads.py with app/media/services.py (evidence images). Each answers a Chinese
 * message, or '' when the value is fine.
 */

import {
  documentProblem,
  type IdType,
  isPhone,
  looksLikeLandline,
  nameProblem as personNameProblem,
  normaliseDocument,
  normaliseName,
  normalisePhone,
  residentIdValid,
} from './visits'

/** ObjectionIn.reason: Length(min=10, max=2000) after trimming. */
export const REASON_MIN = 10
export const REASON_MAX = 2000
/** ObjectionIn.evidence_urls: at most 9; HOW_TO_OBJECT.max_evidence_images. */
export const MAX_IMAGES = 9
/** UPLOAD_MAX_BYTES (the service's default). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
/** app/media/services.py SIGNATURES: what the service keeps. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp']
const EXTENSION_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
}

/** Characters as the service counts them (Python's len: code points, so 𠮷 is one, not two). */
export function charCount(text: string): number {
  return Array.from(text).length
}

export function reasonProblem(reason: string): string {
  const length = charCount(reason.trim())
  if (length === 0) return '请填写异议理由'
  if (length < REASON_MIN) return `异议理由至少 ${REASON_MIN} 个字，请写明具体事实（现有 ${length} 个字）`
  if (length > REASON_MAX) return `异议理由不能超过 ${REASON_MAX} 个字（现有 ${length} 个字），请精简`
  return ''
}

export function phoneProblem(phone: string): string {
  const value = normalisePhone(phone)
  if (!value) return '请填写手机号码，用于接收答复'
  if (isPhone(value)) return ''
  if (looksLikeLandline(value)) return '这不是手机号码：请填写 11 位手机号码（以 13 至 19 开头），不能填写座机号码'
  return '请填写 11 位中国大陆手机号码，或以“+”和国家/地区代码开头的国际号码（如 +85291234567）'
}

/** validate_person_name, as the booking form checks it; empty, it asks for the 真实姓名. */
export function nameProblem(name: string, what = '真实姓名'): string {
  return personNameProblem(name, what)
}

/** Optional organisation: 2–100 characters; an organisation needs a contact person (the service's rule). */
export function organisationProblem(organisation: string): string {
  const length = charCount(organisation.trim())
  if (length === 0) return ''
  return length < 2 || length > 100 ? '单位名称须为 2–100 个字' : ''
}

export function contactPersonProblem(organisation: string, contact: string): string {
  if (!organisation.trim()) return ''
  return contact.trim() ? nameProblem(contact, '联系人姓名') : '单位提出异议须填写联系人'
}

export { residentIdValid }

/** The document is optional; a number given must be one of the chosen document type (resident ID by default). */
export function idNumberProblem(idNumber: string, idType: IdType = 'resident_id'): string {
  if (!idNumber.trim()) return ''
  return documentProblem(idType, idNumber)
}

/** A chosen picture as Taro's chooseImage reports it (h5 gives its MIME type, weapp only its path). */
export interface PickedImage {
  path: string
  size: number
  type?: string
  /** h5: the browser could not decode it (a damaged file, or not a picture at all behind its name). */
  unreadable?: boolean
}

export function imageType(image: PickedImage): string {
  if (image.type && image.type.includes('/')) return image.type.toLowerCase()
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(image.path)?.[1]?.toLowerCase() ?? ''
  // An unknown extension (.bmp, .heic) names a type the service refuses; none at all leaves it to the service.
  return extension ? (EXTENSION_TYPES[extension] ?? `image/${extension}`) : ''
}

function megabytes(bytes: number): string {
  return (Math.ceil((bytes / (1024 * 1024)) * 10) / 10).toFixed(1)
}

/** One picture: a JPEG, PNG, GIF or WebP of at most 5 MB. */
export function imageProblem(image: PickedImage, maxBytes: number = MAX_IMAGE_BYTES): string {
  const type = imageType(image)
  if (type && !IMAGE_TYPES.includes(type)) return '仅支持 JPEG、PNG、GIF 或 WebP 图片'
  if (image.size <= 0) return '图片文件为空，请重新选择'
  if (image.unreadable) return '这张图片无法读取（文件可能已损坏），请换一张'
  if (image.size > maxBytes) {
    return `图片不能超过 ${maxBytes / (1024 * 1024)} MB（这张约 ${megabytes(image.size)} MB），请压缩后重新选择`
  }
  return ''
}

/** How many more pictures may be added. */
export function imagesLeft(already: number): number {
  return Math.max(0, MAX_IMAGES - already)
}

export function imageCountProblem(already: number, adding: number): string {
  return already + adding > MAX_IMAGES ? `证明图片最多 ${MAX_IMAGES} 张` : ''
}

export interface ObjectionForm {
  zoneId: number | null
  name: string
  phone: string
  organisation: string
  contactPerson: string
  /** The document the number belongs to: a resident of Hong Kong, Macao or Taiwan, or a foreigner, has another. */
  idType: IdType
  idNumber: string
  reason: string
}

/** Every field's problem (field names as the service names them, for its 422 details too). */
export function objectionProblems(form: ObjectionForm): Record<string, string> {
  const problems: Record<string, string> = {
    zone_id: form.zoneId ? '' : '请选择提出异议的项目',
    name: nameProblem(form.name),
    phone: phoneProblem(form.phone),
    organisation: organisationProblem(form.organisation),
    contact_person: contactPersonProblem(form.organisation, form.contactPerson),
    id_number: idNumberProblem(form.idNumber, form.idType),
    reason: reasonProblem(form.reason),
  }
  return Object.fromEntries(Object.entries(problems).filter(([, message]) => message))
}

/** The request body (ObjectionIn): trimmed, optional fields only when filled. */
export function objectionBody(form: ObjectionForm, evidenceUrls: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    zone_id: form.zoneId,
    name: normaliseName(form.name),
    phone: normalisePhone(form.phone),
    reason: form.reason.trim(),
    evidence_urls: evidenceUrls,
  }
  if (form.organisation.trim()) {
    body.organisation = form.organisation.trim()
    body.contact_person = normaliseName(form.contactPerson)
  }
  if (form.idNumber.trim()) {
    body.id_type = form.idType
    body.id_number = normaliseDocument(form.idNumber)
  }
  return body
}
