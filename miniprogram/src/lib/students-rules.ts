/**
 * Students (校园低碳): the form rules checked before sending (the service stays the judge), the
 * display of figures, and what a student's own record means, in Chinese. No Taro: unit-tested.
 */
import { addDays } from './visits'

/** A green action as the campaign lists it (FactorOut): the factor in force, with its source. */
export interface Factor {
  code: string
  name: string
  unit: string
  unit_label: string
  unit_kind: 'count' | 'amount' | string
  kg_co2e_per_unit: number
  baseline: string
  source: { publisher?: string; document?: string; data_year?: number | string } | null
  valid_from: string
  daily_cap: number
  points_per_unit: number
  commuting: boolean
}

export interface CampaignCard {
  id: number
  school_id: number
  school_name: string
  title: string
  cover_image_url: string | null
  starts_on: string
  ends_on: string
  audience: 'school' | 'anyone' | string
  state: 'upcoming' | 'running' | 'ended' | string
}

export interface Campaign extends CampaignCard {
  description: string | null
  actions: Factor[]
  estimate_note: string
}

export interface School {
  id: number
  name: string
  district: { id: number; name: string } | null
  followers: number
  following: boolean
  campaigns_running: number
}

/** The student's own record in GET /me (`student`), null before a school is chosen. */
export interface StudentSelf {
  school_id: number
  class_name: string | null
  age_band: string
  pending_age_band: string | null
  nickname: string | null
  public_board: boolean
  confirmed: boolean
  guardian_consent: boolean
  on_public_boards: boolean
}

export interface Progress {
  campaign_id: number
  checkins: number
  points: number
  co2_kg: number
  current_streak: number
  longest_streak: number
  days: string[]
  estimate_note: string
}

export interface CheckinResult {
  id: number
  action: string
  day: string
  quantity: number
  co2_kg: number
  points: number
  evidence: string
  evidence_note: string | null
  factor: Factor
  needs_review: boolean
  estimate_note: string
}

export interface BoardEntry {
  id: number | string
  name: string
  rank: number
  points: number
  co2_kg: number
  enrolled?: number
  participants?: number
  per_student?: number
  participation?: number
  total?: number
}

export interface Board {
  items: BoardEntry[]
  total: number
  by: BoardKind
  metric: string
  me: BoardEntry | null
  note: string
}

export type BoardKind = 'student' | 'class' | 'school'
export type BoardMetric = 'per_student' | 'participation' | 'total'

export interface Post {
  id: number
  author: string
  action: string
  day: string
  note: string | null
  photo_url: string | null
  report_count: number
  hidden: boolean
  hidden_reason: string | null
  created_at: string
}

// ---- numbers -------------------------------------------------------------------------------------

/**
 * A number as people write it, at most `decimals` places, trailing zeros dropped, never in
 * exponent form (`1E+1`, `1e-7`): 10 → "10", 0.258 → "0.258", 1234.5 → "1,234.5".
 */
export function plainNumber(value: number | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  const fixed = Math.abs(value).toFixed(decimals) // toFixed never uses an exponent below 1e21
  const [whole, fraction = ''] = fixed.split('.')
  const trimmed = fraction.replace(/0+$/, '')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const negative = value < 0 && (Number(whole) > 0 || trimmed !== '')
  return `${negative ? '-' : ''}${grouped}${trimmed ? `.${trimmed}` : ''}`
}

/** kg CO₂e: three places below 1 kg (a bus ride is 0.027 kg), one above 100 kg. */
export function formatCo2(kg: number | null | undefined): string {
  if (kg === null || kg === undefined || !Number.isFinite(kg)) return '—'
  const decimals = Math.abs(kg) < 1 ? 3 : Math.abs(kg) < 100 ? 2 : 1
  return `${plainNumber(kg, decimals)} 千克`
}

/** Points are counted to the hundredth (a photo weighs 1.5×). */
export function formatPoints(points: number | null | undefined): string {
  return `${plainNumber(points, 2)} 积分`
}

/** 0.4567 → "45.7%". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—'
  return `${plainNumber(share * 100, 1)}%`
}

// ---- the check-in form ---------------------------------------------------------------------------

/** What the person typed → the number sent, or null when it is not a plain decimal number. */
export function parseQuantity(text: string): number | null {
  const cleaned = text.trim().replace(/[，。]/g, '.')
  if (!/^\d+(\.\d+)?$/.test(cleaned) && !/^\.\d+$/.test(cleaned)) return null
  const value = Number(cleaned)
  return Number.isFinite(value) ? value : null
}

/** The quantity rules (the service's own): a number above 0, whole for counted actions, at most two
 * decimals, at most the action's daily cap. '' when fine, else the Chinese message for the field. */
export function quantityProblem(text: string, factor: Pick<Factor, 'unit_kind' | 'unit_label' | 'daily_cap'>): string {
  if (!text.trim()) return '请填写数量'
  const value = parseQuantity(text)
  if (value === null) return '请填写数字，例如 2 或 1.5'
  if (value <= 0) return '数量须大于 0'
  if (factor.unit_kind === 'count' && !Number.isInteger(value)) return `“${factor.unit_label}”须为整数`
  const decimals = (text.trim().replace(/[，。]/g, '.').split('.')[1] ?? '').replace(/0+$/, '')
  if (decimals.length > 2) return '数量最多保留两位小数'
  if (value > factor.daily_cap) return `每天最多 ${plainNumber(factor.daily_cap)} ${factor.unit_label}`
  return ''
}

/** The estimate shown before sending: quantity × factor (the service computes the real one). */
export function estimateCo2(quantity: number, factor: Pick<Factor, 'kg_co2e_per_unit'>): number {
  return Math.round(quantity * factor.kg_co2e_per_unit * 10000) / 10000
}

/** "每千瓦时 0.5122 千克 CO₂e"; a habit-only action (factor 0) says it scores points only. */
export function factorText(factor: Pick<Factor, 'kg_co2e_per_unit' | 'unit_label'>): string {
  if (!factor.kg_co2e_per_unit) return '不折算减排量，只计积分'
  return `每${factor.unit_label} ${plainNumber(factor.kg_co2e_per_unit, 4)} 千克 CO₂e`
}

/** Where the factor comes from: publisher, document, data year (whatever the service gives). */
export function sourceText(source: Factor['source']): string {
  if (!source) return '来源未注明'
  const parts = [source.publisher, source.document].filter((p): p is string => typeof p === 'string' && p.trim() !== '')
  const year = source.data_year ? `${source.data_year} 年数据` : ''
  return [...parts, year].filter(Boolean).join('；') || '来源未注明'
}

// ---- the day an action is recorded for --------------------------------------------------------------

/** As the service allows (app/campaigns/checkins.BACKFILL_DAYS): today or one of the last 7 days. */
export const BACKFILL_DAYS = 7

/**
 * The days a check-in may be recorded for, newest first: today back to BACKFILL_DAYS days ago, within
 * the campaign's dates (YYYY-MM-DD, China time), each with what the chip says (今天, 昨天, 11月25日).
 */
export function checkinDays(today: string, startsOn: string, endsOn: string): { day: string; label: string }[] {
  const days = []
  for (let back = 0; back <= BACKFILL_DAYS; back++) {
    const day = addDays(today, -back)
    if (day < startsOn || day > endsOn) continue
    const [, month, date] = day.split('-').map(Number)
    days.push({ day, label: back === 0 ? '今天' : back === 1 ? '昨天' : `${month}月${date}日` })
  }
  return days
}

// ---- what schoolmates read ------------------------------------------------------------------------

/**
 * A check-in's note is read by the school's students (同学分享): as the service refuses it
 * (app/validators.shows_a_personal_number), seven digits or more in a row, full-width digits as
 * digits, spaces ignored, read as a phone or document number.
 */
export function noteProblem(text: string): string {
  const note = text.trim()
  if (note.length > 500) return '想说的话最多 500 字'
  const seen = note.normalize('NFKC').replace(/\s/g, '')
  if (/[0-9]{7,}/.test(seen)) return '同学们会看到这段话，请不要写电话号码、证件号等个人信息'
  return ''
}

// ---- class join codes ----------------------------------------------------------------------------

/** As typed (full-width ＡＧ５…, spaces, lower case, a dash read aloud) → as the service compares it. */
export function normalizeJoinCode(text: string): string {
  return text.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase()
}

/** The teacher's code: 4 to 12 letters or digits (the service makes 8, without 0/O and 1/I). */
export function joinCodeProblem(text: string): string {
  const code = normalizeJoinCode(text)
  if (!code) return '请输入老师给的班级码'
  if (!/^[A-Z0-9]+$/.test(code)) return '班级码只含字母和数字'
  if (code.length < 4 || code.length > 12) return '班级码为 4 至 12 位字母或数字'
  return ''
}

// ---- the student's own record --------------------------------------------------------------------

export const AGE_BANDS: { code: string; label: string }[] = [
  { code: 'under_14', label: '未满 14 周岁' },
  { code: '14_17', label: '14 至 17 周岁' },
  { code: '18_plus', label: '18 周岁及以上' },
]

export function ageBandLabel(code: string | null | undefined): string {
  return AGE_BANDS.find((b) => b.code === code)?.label ?? '未填写'
}

export type StudentState = 'none' | 'awaiting_school' | 'confirmed'

export interface StudentStatus {
  state: StudentState
  /** One line: where the student stands. */
  headline: string
  /** What it means and what to do, in plain Chinese (each a sentence). */
  explanations: string[]
}

/** What the student's record in /me means for them (the service decides; this only explains it). */
export function studentStatus(student: StudentSelf | null | undefined): StudentStatus {
  if (!student) {
    return {
      state: 'none',
      headline: '还没有加入学校',
      explanations: ['输入老师给的班级码即可加入班级；也可以先填写学校和班级，等待学校确认。'],
    }
  }
  const explanations: string[] = []
  if (!student.confirmed) {
    explanations.push(
      '学校还没有确认你是本校学生：确认前你不会出现在任何公开榜单上，也不能参加仅限本校学生的活动。' +
        '输入老师给的班级码可立即确认，或等待学校在名单中确认。',
    )
  }
  if (student.pending_age_band) {
    explanations.push(
      `你申报的年龄段“${ageBandLabel(student.pending_age_band)}”待学校确认，确认前仍按“${ageBandLabel(student.age_band)}”对待。`,
    )
  }
  if (student.age_band === 'under_14' && student.guardian_consent) {
    explanations.push('监护人已同意：你可以出现在公开榜单上，本校同学能看到你的打卡分享。监护人可随时撤回。')
  }
  if (student.confirmed && !student.on_public_boards) {
    if (!student.public_board) explanations.push('你选择了不出现在公开榜单上：只有你自己能看到自己的名次。')
    else if (student.age_band === 'under_14' && !student.guardian_consent) {
      explanations.push('未满 14 周岁的同学，学校记录监护人同意后才会出现在公开榜单上；在此之前只有你自己能看到自己的名次。')
    }
  }
  return {
    state: student.confirmed ? 'confirmed' : 'awaiting_school',
    headline: student.confirmed ? '学校已确认' : '等待学校确认',
    explanations,
  }
}

/**
 * What an empty 同学分享 says (the service shows a school's posts only to its confirmed students,
 * app/campaigns/moderation.shown_to): to anyone else an empty list says nothing of the posts there are.
 */
export function postsEmptyText(signedIn: boolean, student: Pick<StudentSelf, 'school_id' | 'confirmed'> | null | undefined, schoolId: number | null): string {
  if (!signedIn) return '登录并经学校确认为本校学生后，可以看到同学们的分享'
  if (!student || !student.confirmed || (schoolId !== null && student.school_id !== schoolId)) {
    return '同学分享只给本校经学校确认的同学看；你还不是本校已确认的学生'
  }
  return '还没有分享'
}

/** The explanation for a refusal the service gives by code (403 not_confirmed / not_this_school). */
export function refusalExplanation(code: string): string {
  if (code === 'not_confirmed') {
    return '学校还没有确认你是本校学生，所以暂时不能参加这个活动。请在“校园低碳”页输入老师给的班级码，或等待学校在名单中确认。'
  }
  if (code === 'not_this_school') {
    return '这个活动只面向本校学生。如果你是这所学校的学生，请在“校园低碳”页输入老师给的班级码加入班级。'
  }
  return ''
}

// ---- boards --------------------------------------------------------------------------------------

export const BOARD_KINDS: { code: BoardKind; label: string }[] = [
  { code: 'student', label: '学生榜' },
  { code: 'class', label: '班级榜' },
  { code: 'school', label: '学校榜' },
]

export const BOARD_METRICS: { code: BoardMetric; label: string }[] = [
  { code: 'per_student', label: '人均积分' },
  { code: 'participation', label: '参与率' },
  { code: 'total', label: '总积分' },
]

export interface BoardRow extends BoardEntry {
  mine: boolean
}

/** The board as shown: its rows, the caller's own row marked; `meApart` when the caller's entry is
 * not among the rows (beyond the top, or not shown to others: only they see it). */
export function boardRows(board: Pick<Board, 'items' | 'me'>): { rows: BoardRow[]; meApart: BoardEntry | null } {
  const me = board.me
  const key = me ? String(me.id) : null
  const rows = board.items.map((entry) => ({ ...entry, mine: key !== null && String(entry.id) === key }))
  return { rows, meApart: me && !rows.some((r) => r.mine) ? me : null }
}

/** The figure a row is ranked by. */
export function boardFigure(entry: BoardEntry, by: BoardKind, metric: BoardMetric): string {
  if (by === 'student' || metric === 'total') return formatPoints(entry.points)
  if (metric === 'participation') return `参与率 ${formatShare(entry.participation)}`
  return `人均 ${formatPoints(entry.per_student)}`
}

export const CAMPAIGN_STATES: Record<string, string> = { upcoming: '未开始', running: '进行中', ended: '已结束' }
export const AUDIENCES: Record<string, string> = { school: '仅限本校学生', anyone: '所有人可参加' }

// ---- posts ---------------------------------------------------------------------------------------

/** The name boards and posts show for a student without a nickname (the service's rule: 同学 + the
 * last four digits of the user number). */
export function fallbackName(userId: number): string {
  return `同学${String(userId % 10000).padStart(4, '0')}`
}

/** Whether a post is the caller's own (to mark it 我 and offer no report): by the name shown. */
export function isOwnPost(post: Pick<Post, 'author'>, me: { id: number; nickname: string | null | undefined } | null): boolean {
  if (!me) return false
  return post.author === (me.nickname || fallbackName(me.id))
}
