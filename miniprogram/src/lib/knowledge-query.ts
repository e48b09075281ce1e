import { QUERY_MAX } from './filters'

/** The knowledge list's filters → the query of GET /articles (only what is chosen; `q` trimmed, at most 50 characters). */
export interface ArticleFilters {
  q?: string
  category?: string
  tag?: string
}

export { QUERY_MAX }

export function articleQuery(filters: ArticleFilters, page: number, perPage = 10): Record<string, string | number> {
  const query: Record<string, string | number> = { page, per_page: perPage }
  const q = Array.from((filters.q ?? '').trim()).slice(0, QUERY_MAX).join('')
  if (q) query.q = q
  if (filters.category) query.category = filters.category
  if (filters.tag) query.tag = filters.tag
  return query
}
