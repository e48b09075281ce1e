/** The zones list's filters → the query of GET /zones (only what is chosen; `q` trimmed). */
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
  const q = (filters.q ?? '').trim()
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
