/** The publicity answers' computed fields (marshmallow Function fields come out `unknown` in schema.d.ts). */
import type { Schemas } from '@/api/types'

export type WindowState = 'upcoming' | 'open' | 'closed'

export const WINDOW_LABELS: Record<string, string> = {
  upcoming: '未开始',
  open: '公示中',
  closed: '已结束',
}

export const OUTCOME_LABELS: Record<string, string> = {
  confirmed: '公示通过',
  rejected: '异议成立，未通过',
}

export type NoticeZone = Omit<Schemas['NoticeZoneOut'], 'id' | 'name' | 'type_label' | 'level_label' | 'applicant_name' | 'district' | 'status_label'> & {
  id: number
  zone_id: number
  name: string
  type_label: string
  level_label: string
  applicant_name: string
  district: { id: number; name: string } | null
  status_label: string
}

export type Notice = Omit<Schemas['NoticeOut'], 'zones'> & {
  id: number
  title: string
  starts_at: string
  ends_at: string
  window_state: WindowState
  zones: NoticeZone[]
}

export type NoticeItem = Schemas['NoticeCardOut'] & { id: number; title: string; window_state: WindowState }

export type ObjectionEvent = Omit<Schemas['ObjectionEventOut'], 'to_label'> & { to_label: string; at: string }

export type Receipt = Omit<Schemas['ObjectionReceiptOut'], 'status_label'> & {
  receipt_no: string
  status: string
  status_label: string
}

export type MyObjection = Omit<Schemas['MyObjectionOut'], 'status_label' | 'zone_name' | 'events'> & {
  receipt_no: string
  status: string
  status_label: string
  zone_name: string
  created_at: string
  events: ObjectionEvent[]
}
