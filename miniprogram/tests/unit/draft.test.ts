import { describe, expect, it } from 'vitest'
import {
  DRAFT_DAYS,
  type DraftStorage,
  forgetAllDrafts,
  keepDraft,
  objectionDraftKey,
  readDraft,
} from '@/lib/draft'

function memory(initial: Record<string, unknown> = {}): DraftStorage & { map: Map<string, unknown> } {
  const map = new Map(Object.entries(initial))
  return {
    map,
    get: (key) => (map.has(key) ? map.get(key) : ''), // Taro answers '' for a key it does not hold
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
    keys: () => [...map.keys()],
  }
}

const KEY = objectionDraftKey(3)
const NOW = Date.UTC(2026, 10, 28, 2)
const DAY = 86_400_000

describe('objection drafts', () => {
  it('gives back what was kept', () => {
    const storage = memory()
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民，夜间施工' }, NOW)
    expect(readDraft(storage, KEY, NOW + DAY)).toEqual({ zoneId: 7, reason: '噪声扰民，夜间施工' })
  })

  it('keeps one draft per notice', () => {
    const storage = memory()
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)
    expect(readDraft(storage, objectionDraftKey(4), NOW)).toBeNull()
  })

  it('keeps nothing for a blank reason, and drops what was kept', () => {
    const storage = memory()
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)
    keepDraft(storage, KEY, { zoneId: 7, reason: '   ' }, NOW)
    expect(storage.map.has(KEY)).toBe(false)
  })

  it('drops a draft older than the days it is kept', () => {
    const storage = memory()
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)
    expect(readDraft(storage, KEY, NOW + (DRAFT_DAYS + 1) * DAY)).toBeNull()
  })

  it('removes the stale draft it refused', () => {
    const storage = memory()
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)
    readDraft(storage, KEY, NOW + (DRAFT_DAYS + 1) * DAY)
    expect(storage.map.has(KEY)).toBe(false)
  })

  it('reads something not a draft as none', () => {
    expect(readDraft(memory({ [KEY]: { reason: 5 } }), KEY, NOW)).toBeNull()
  })

  it('keeps no name, phone or document number, whatever it is given', () => {
    const storage = memory()
    const form = { zoneId: 7, reason: '噪声扰民', name: '张三', phone: '13900001111', idNumber: '110101199003074514' }
    keepDraft(storage, KEY, form, NOW)
    expect(JSON.stringify(storage.map.get(KEY))).not.toMatch(/张三|139|1101/)
  })

  it('forgets every draft on signing out, and nothing else', () => {
    const storage = memory({ 'lowcarbon.token': 't', 'lowcarbon.settings': {} })
    keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)
    keepDraft(storage, objectionDraftKey(4), { zoneId: 8, reason: '数据不实' }, NOW)
    forgetAllDrafts(storage)
    expect([...storage.map.keys()]).toEqual(['lowcarbon.token', 'lowcarbon.settings'])
  })

  it('goes on when the storage fails', () => {
    const storage = memory()
    storage.set = () => {
      throw new Error('quota')
    }
    expect(() => keepDraft(storage, KEY, { zoneId: 7, reason: '噪声扰民' }, NOW)).not.toThrow()
  })
})
