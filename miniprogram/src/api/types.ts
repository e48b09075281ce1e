/**
 * Names for the generated API types (schema.d.ts, `npm run gen:api`). Fields the service computes
 * (marshmallow Method fields) come out as `unknown`: they are given their shape here, once.
 */
import type { components, paths } from './schema'

export type Schemas = components['schemas']

/** The JSON body of a path's 200/201 answer: `Answer<'/api/mp/v1/meta', 'get'>`. */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never

export interface Page<T> {
  items: T[]
  page: number
  per_page: number
  total: number
}

export interface Labelled {
  code: string
  label: string
}

export interface Meta {
  types: (Labelled & { indicators: { key: string; name: string; unit: string }[] })[]
  levels: Labelled[]
  statuses: (Labelled & { public: boolean })[]
  districts: { id: number; name: string; code: string | null; kind: string; kind_label: string }[]
  dev_login?: Schemas['MetaOut']['dev_login']
}

export interface Indicator {
  key: string
  name: string
  unit: string
  baseline_value: number | null
  baseline_year: number | null
  latest_value: number | null
  latest_year: number | null
  change: number | null
  change_percent: number | null
}

type Computed = 'type_label' | 'level_label' | 'status_label' | 'indicators' | 'indicator'
export type ZoneCard = Omit<Schemas['ZoneCardOut'], Computed> & {
  id: number
  name: string
  type_label: string
  level_label: string
  status_label: string
  indicators: Indicator[]
  indicator: Indicator | null
}

export type TimelineEntry = Omit<Schemas['TimelineEntryOut'], 'to_label'> & { to_label: string }

export interface Progress {
  milestones_done?: number
  milestones_total?: number
  on_track?: boolean
  [key: string]: unknown
}

export type ZoneDetail = ZoneCard &
  Omit<Schemas['ZoneDetailOut'], Computed | 'timeline' | 'notice' | 'applicant_kind_label' | 'department_label'> & {
    applicant_kind_label: string
    department_label: string
    timeline: TimelineEntry[]
    notice: { id: number; title: string; starts_at: string; ends_at: string; outcome: string | null } | null
    /** Present once the zone-progress feature answers it (issue 23). */
    progress?: Progress | null
  }

export type NoticeCard = Schemas['NoticeCardOut'] & { id: number; title: string }
export type ArticleCard = Schemas['ArticleCardOut'] & { id: number; title: string }
export type User = Schemas['UserOut'] & { id: number }
export type Login = Schemas['TokenOut'] & { token: string; user: User }
