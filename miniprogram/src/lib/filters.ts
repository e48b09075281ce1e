/** The API's limit on a search (`q` of GET /zones and GET /articles): at most 50 characters. */
export const QUERY_MAX = 50

/** A list's 422 said in the words of its page (`details.q` → 「搜索词长度不能超过 50」). */
export const SEARCH_LABELS: Record<string, string> = { q: '搜索词' }

/** The zones list's filters → the query of GET /zones (only what is chosen; `q` trimmed, at most 50 characters). */
export interface ZoneFilters {
  type?: string
  level?: string
  status?: string
  district?: number
  q?: string
}

export function zoneQuery(filters: ZoneFilters, page: number, perPage = 20): Record<string, string | number> {
  const query: Record<string, string | number> = { page, per_page: perPage }
  if (filters.type) query.type = filters.type
  if (filters.level) query.level = filters.level
  if (filters.status) query.status = filters.status
  if (filters.district) query.district = filters.district
  const q = Array.from((filters.q ?? '').trim()).slice(0, QUERY_MAX).join('')
  if (q) query.q = q
  return query
}

/** Endless scroll: is there a page after the ones loaded? */
export function hasMore(loaded: number, total: number): boolean {
  return loaded < total
}

/** Choosing the chosen value again clears it (chips toggle). */
export function toggle<T>(current: T | undefined, value: T): T | undefined {
  return current === value ? undefined : value
}
