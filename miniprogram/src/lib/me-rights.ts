/** 我的 pages (src/packages/me/): shapes and pure rules (unit-tested in tests/unit/me.test.ts). */

export interface Followed {
  kind: 'zone' | 'school' | string
  id: number
  name: string
  type_label: string
  status_label: string
  followed_at: string
}

export interface FeedItem {
  kind: 'campaign' | 'zone_update' | string
  occurred_at: string
  title: string
  summary: string | null
  id?: number
  school_name?: string
  update_kind?: string
  zone?: { id: number; name: string }
}

export interface GuardianLink {
  code: string
  expires_at: string
}

export interface Child {
  nickname: string
  class_name: string | null
  school: { id: number; name: string } | null
  points: number
}

export interface GuardianPreview {
  expires_at: string
  student: Child
  public: string[]
  schoolmates: string[]
  never_public: string[]
  already_consented: boolean
  relationships: { code: string; label: string }[]
}

export interface GuardianConsent {
  id: number
  relationship: string
  relationship_label: string
  consented_at: string
  withdrawn_at: string | null
  student: Child
}

export interface Deletion {
  deleted_at: string
  bookings_cancelled: number
  objections_kept_open: number
}

/**
 * Section of the export (GET /me/export, ExportOut; the service also adds, row by row, any other table
 * holding the person's rows: app/data_rights.py) → what a person calls it, each its own name. A
 * section not known here keeps a generic name.
 */
export const EXPORT_SECTIONS: Record<string, string> = {
  user: '账号信息',
  student_profile: '学生信息',
  bookings: '预约记录',
  waitlist: '候补记录',
  objections: '提出的异议',
  campaign_participations: '参加的活动',
  checkins: '打卡记录',
  school_follows: '关注的学校',
  zone_follows: '关注的示范区',
  uploads: '上传的图片',
  consents: '隐私政策同意记录',
  policy_consents: '隐私政策同意记录',
  guardian_consents: '作为监护人给出的同意',
  guardian_links: '监护人授权码',
  post_reports: '举报记录',
  role_grants: '角色授权',
  booking_suspensions: '预约暂停记录',
  auth_tokens: '登录记录',
}

/** One line per section: lists counted (条), single records present or not. Never the values themselves. */
export function exportSummary(data: Record<string, unknown>): { key: string; label: string; text: string }[] {
  return Object.entries(data)
    .filter(([key]) => key !== 'generated_at')
    .map(([key, value]) => {
      const label = EXPORT_SECTIONS[key] ?? '其他记录'
      const text = Array.isArray(value) ? `${value.length} 条` : value === null || value === undefined ? '无' : '有'
      return { key, label, text }
    })
}

/** The file name of the downloaded copy: 我的数据-2026-11-25.json */
export function exportFileName(generatedAt: string | undefined): string {
  const day = /^\d{4}-\d{2}-\d{2}/.exec(generatedAt ?? '')?.[0] ?? 'copy'
  return `我的数据-${day}.json`
}

/** A code the guardian typed: trimmed, spaces removed; a problem in Chinese, or '' when it may be sent. */
export function normalizeGuardianCode(text: string): string {
  return text.replace(/\s+/g, '')
}

export function guardianCodeProblem(text: string): string {
  const code = normalizeGuardianCode(text)
  if (!code) return '请输入孩子分享的授权码'
  if (code.length > 100) return '授权码过长，请核对后重新输入'
  return ''
}

export function relationshipProblem(relationship: string): string {
  return relationship ? '' : '请选择您与孩子的关系'
}

/** Whether the signed-in student must have a guardian's consent (under 14, none yet). */
export function needsGuardian(student: { age_band?: string; guardian_consent?: unknown } | null | undefined): boolean {
  return Boolean(student && student.age_band === 'under_14' && !student.guardian_consent)
}

export function feedKindLabel(item: Pick<FeedItem, 'kind'>): string {
  return item.kind === 'campaign' ? '学校活动' : item.kind === 'zone_update' ? '示范区动态' : '动态'
}

/**
 * 注销账号's last button stays disabled this long after it appears: a double tap on 确定注销 must not
 * land on it (the button is also placed elsewhere).
 */
export const FINAL_CONFIRM_DELAY_MS = 1500

/** Whether the last confirmation shown at `shownAt` may be tapped at `now`. */
export function finalConfirmReady(shownAt: number, now: number): boolean {
  return now - shownAt >= FINAL_CONFIRM_DELAY_MS
}

/**
 * A guardian code the service refused (GET /guardian-links/{code}, POST /guardian-consents), said about
 * the code the person typed or opened — never 「链接」 — to put under the code's field; '' for any
 * other failure (the network, the service: shown apart, with 重试 when it can help).
 */
export function guardianCodeRefusal(code: string): string {
  switch (code) {
    case 'guardian_link_not_found':
      return '授权码无效，请核对后重新输入'
    case 'guardian_link_used':
      return '这个授权码已经用过了，请让孩子重新生成'
    case 'guardian_link_expired':
      return '这个授权码已过期（有效期 7 天），请让孩子重新生成'
    case 'guardian_link_own':
      return '这是您自己生成的授权码，请发给监护人，由监护人在自己的微信中输入'
    default:
      return ''
  }
}
