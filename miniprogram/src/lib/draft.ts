/**
 * A long text being written, kept on the device until it is sent: an objection's reason may run to
 * 2,000 characters, and a reload, a tap on back or WeChat closing the page would lose it. Only the
 * text and the choice it is about are kept, never a name, phone or document number; a draft older
 * than DRAFT_DAYS is dropped, and signing out drops every draft (a shared phone, an h5 tab).
 * The storage is passed in (Taro's on the device, a Map in the unit tests).
 */

export interface DraftStorage {
  get(key: string): unknown
  set(key: string, value: unknown): void
  remove(key: string): void
  keys(): string[]
}

export const DRAFT_PREFIX = 'lowcarbon.draft.'
export const DRAFT_DAYS = 7
const DAY_MS = 86_400_000

export interface ObjectionDraft {
  zoneId: number | null
  reason: string
}

export const objectionDraftKey = (noticeId: number) => `${DRAFT_PREFIX}objection.${noticeId}`

interface Saved {
  savedAt: number
  draft: ObjectionDraft
}

function isSaved(value: unknown): value is Saved {
  if (!value || typeof value !== 'object') return false
  const saved = value as Partial<Saved>
  return (
    typeof saved.savedAt === 'number' &&
    !!saved.draft &&
    typeof saved.draft.reason === 'string' &&
    (saved.draft.zoneId === null || typeof saved.draft.zoneId === 'number')
  )
}

/** The draft kept under `key`, or null (none, unreadable, or older than DRAFT_DAYS: then dropped). */
export function readDraft(storage: DraftStorage, key: string, now: number = Date.now()): ObjectionDraft | null {
  let value: unknown
  try {
    value = storage.get(key)
  } catch {
    return null
  }
  if (!isSaved(value) || now - value.savedAt > DRAFT_DAYS * DAY_MS) {
    if (value) forgetDraft(storage, key)
    return null
  }
  return value.draft
}

/** Keep `draft` under `key`; a reason left blank keeps nothing (and drops what was kept). */
export function keepDraft(storage: DraftStorage, key: string, draft: ObjectionDraft, now: number = Date.now()): void {
  try {
    if (draft.reason.trim()) storage.set(key, { savedAt: now, draft: { zoneId: draft.zoneId, reason: draft.reason } })
    else storage.remove(key)
  } catch {
    // A full or unavailable storage only means no draft: the form itself goes on.
  }
}

export function forgetDraft(storage: DraftStorage, key: string): void {
  try {
    storage.remove(key)
  } catch {
    // as above
  }
}

/** Every draft on the device (signing out). */
export function forgetAllDrafts(storage: DraftStorage): void {
  let keys: string[] = []
  try {
    keys = storage.keys()
  } catch {
    return
  }
  for (const key of keys) if (key.startsWith(DRAFT_PREFIX)) forgetDraft(storage, key)
}
