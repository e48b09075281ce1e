/**
 * The visits page group's plain logic (no Taro, unit-tested in tests/unit/visits.test.ts): the shapes
 * of bases, slots and bookings; the booking form's rules, checked before sending (the service stays
 * the judge and says the same in the same words); the 7-day calendar; the door's scanned codes.
 */

// ---- what the service answers ----------------------------------------------------------------

export interface BaseProfile {
  visitor_notes: string | null
  opening_rules: string | null
  contact_phone: string | null
  booking_days_ahead: number
  release_hour: number
}

export interface Base {
  id: number
  name: string
  type_label: string
  district?: { name: string } | null
  address?: string | null
  summary?: string | null
  applicant_name?: string
  profile?: BaseProfile | null
}

/** individual_full: individuals may only wait, groups still book; groups_only: no individual places. */
export type SlotStatus = 'not_released' | 'open' | 'individual_full' | 'groups_only' | 'full' | 'started' | 'ended' | 'closed'

export interface Slot {
  id: number
  visit_date: string
  starts_at: string
  ends_at: string
  capacity: number
  remaining: number
  group_capacity: number
  group_remaining: number
  status: SlotStatus | string
  status_label: string
  bookable: boolean
  closed_reason: string | null
  opens_at: string
}

export interface VisitorShown {
  name: string
  id_type: string
  id_type_label: string
  id_number: string
  phone: string
}

export interface Booking {
  id: number
  base_id: number
  visit_date: string
  slot: { id: number; starts_at: string; ends_at: string }
  kind: 'individual' | 'group' | string
  headcount: number
  status: 'confirmed' | 'cancelled' | 'checked_in' | 'no_show' | string
  status_label: string
  visitors: VisitorShown[]
  organisation: string | null
  leader_name: string | null
  leader_phone: string | null
  actual_headcount: number | null
  /** A group's name list, once handed in (PUT /bookings/{id}/members). */
  members?: GroupMember[] | null
  minors?: number | null
  created_at: string
  cancelled_at: string | null
  checked_in_at: string | null
  /** Until when it may be cancelled (the visit's start less the service's cut-off); absent from an older service. */
  cancellable_until?: string
}

export interface CheckinPass {
  code: string
  qr_png_base64: string
  qr_source: string
  visit_date: string
}

export interface WaitlistEntry {
  id: number
  slot_id: number
  slot: { id: number; starts_at: string; ends_at: string }
  visit_date: string
  base_id: number
  base_name: string | null
  headcount: number
  status: 'waiting' | 'promoted' | 'failed' | 'cancelled' | 'purged' | string
  status_label: string
  /** Its place in the queue while waiting (1 is next); null otherwise. */
  position: number | null
  /** The booking made for it, once promoted. */
  booking_id: number | null
  created_at: string
}

// ---- identity documents ----------------------------------------------------------------------

export type IdType = 'resident_id' | 'hk_macao_permit' | 'taiwan_permit' | 'passport' | 'foreign_permanent_resident'

export const ID_TYPES: { code: IdType; label: string }[] = [
  { code: 'resident_id', label: '居民身份证' },
  { code: 'hk_macao_permit', label: '港澳居民来往内地通行证' },
  { code: 'taiwan_permit', label: '台湾居民来往大陆通行证' },
  { code: 'passport', label: '护照' },
  { code: 'foreign_permanent_resident', label: '外国人永久居留身份证' },
]

export const idTypeLabel = (code: string): string => ID_TYPES.find((t) => t.code === code)?.label ?? '证件'

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

/** The check character of the first 17 digits (GB 11643-1999, ISO 7064 MOD 11-2). */
export function checkCharacter(first17: string): string {
  let total = 0
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * WEIGHTS[i]
  return CHECK[total % 11]
}

/** Full-width characters (a Chinese input method's) as ASCII, spaces and hyphens dropped, letters
 * upper-cased: the number as the service keeps it (app/validators.py normalise_document_number). */
export function normaliseDocument(number: string): string {
  return number.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase()
}

/** Room for a phone number as people type it: "+86 (139) 0000-4444" is 19 characters, kept to 11 digits. */
export const PHONE_MAX_TYPED = 24

/** A phone number as people type it, as the service keeps it (app/validators.py normalise_phone):
 * full-width digits as ASCII, spaces, hyphens, dots and brackets dropped, a mainland mobile written
 * with +86 / 0086 / 86 as its 11 digits, an international 00 prefix as "+". */
export function normalisePhone(phone: string): string {
  const value = phone.normalize('NFKC').replace(/[\s\-().·]/g, '')
  const mainland = /^(?:\+86|0086|86)(1[3-9]\d{9})$/.exec(value)
  if (mainland) return mainland[1]
  return value.startsWith('00') ? `+${value.slice(2)}` : value
}

/** A resident ID: 17 digits, a real birth date (1900 to today), the right check character. */
export function residentIdValid(value: string, today: Date = new Date()): boolean {
  return residentIdProblem(value, today) === ''
}

const RESIDENT_ID_INVALID = '居民身份证号码无效（请核对 18 位号码及末位校验码）'
// A birth date that cannot be (1999-02-29, a future year): said as such, not as the check character.
const RESIDENT_ID_BIRTH = '居民身份证号码无效（第 7 至 14 位的出生日期不存在）'

/** Why this is not a resident ID number, as the service says it; '' when it is. */
export function residentIdProblem(value: string, today: Date = new Date()): string {
  const id = normaliseDocument(value)
  if (!/^\d{17}[\dX]$/.test(id)) return RESIDENT_ID_INVALID
  const year = Number(id.slice(6, 10))
  const month = Number(id.slice(10, 12))
  const day = Number(id.slice(12, 14))
  const born = new Date(Date.UTC(year, month - 1, day))
  if (born.getUTCFullYear() !== year || born.getUTCMonth() !== month - 1 || born.getUTCDate() !== day) return RESIDENT_ID_BIRTH
  if (year < 1900 || born.getTime() > today.getTime()) return RESIDENT_ID_BIRTH
  return checkCharacter(id) === id[17] ? '' : RESIDENT_ID_INVALID
}

// The other documents' rules (a resident ID's is residentIdProblem: its message says which part is wrong).
const DOCUMENT_RULES: Record<Exclude<IdType, 'resident_id'>, [(n: string) => boolean, string]> = {
  hk_macao_permit: [(n) => /^[HM]\d{8}(\d{2})?$/.test(n), '港澳居民来往内地通行证号码应为 H 或 M 加 8 位数字'],
  taiwan_permit: [(n) => /^(\d{8}|\d{10}[A-Z]?)$/.test(n), '台湾居民来往大陆通行证号码应为 8 位数字'],
  passport: [(n) => /^[A-Z0-9]{6,17}$/.test(n) && /\d/.test(n), '护照号码应为 6–17 位字母和数字'],
  foreign_permanent_resident: [
    (n) => /^[A-Z]{3}\d{12}$/.test(n) || (/^9\d{16}[\dX]$/.test(n) && checkCharacter(n) === n[17]),
    '外国人永久居留身份证号码应为 3 位字母加 12 位数字，或以 9 开头的 18 位号码',
  ],
}

/** Why this is not a number of that document, in Chinese; '' when it is. */
export function documentProblem(idType: IdType, number: string): string {
  const value = normaliseDocument(number)
  if (!value) return '请填写证件号码'
  const rule = idType === 'resident_id' ? undefined : DOCUMENT_RULES[idType]
  if (!rule) return residentIdProblem(value)
  const [ok, message] = rule
  return ok(value) ? '' : message
}

// ---- names and phones ------------------------------------------------------------------------

const HAN = '\\u3007\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{323af}'
const DOTS = '·•・‧'
const CHINESE_NAME = new RegExp(`^[${HAN}]+(?:[${DOTS}][${HAN}]+)*$`, 'u')
const LATIN = 'A-Za-z\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u024f\\u1e00-\\u1eff'
const LATIN_NAME = new RegExp(`^[${LATIN}]+(?:(?:[ '’-]|\\. ?)[${LATIN}]+)*\\.?$`, 'u')

/**
 * A name as the service takes it: trimmed, and a Chinese name typed with spaces (张 三, 阿依古丽 · 买买提,
 * a full-width space too) without them — validate_person_name refuses spaces between Han characters,
 * and a Chinese name on an identity document has none. A Latin name keeps its spaces (María José).
 */
export function normaliseName(name: string): string {
  const value = name.trim().normalize('NFC')
  const joined = value.replace(/\s+/gu, '')
  return joined !== value && CHINESE_NAME.test(joined) ? joined : value
}

/** validate_person_name: 2–20 Han characters (minority names with “·”), or 2–50 Latin letters; `what` names the field when empty. */
export function nameProblem(name: string, what = '姓名'): string {
  const value = normaliseName(name)
  if (!value) return `请填写${what}`
  if (CHINESE_NAME.test(value)) {
    const han = Array.from(value).filter((c) => !DOTS.includes(c)).length
    return han >= 2 && han <= 20 ? '' : '中文姓名须为 2–20 个汉字（少数民族姓名可用“·”分隔）'
  }
  if (LATIN_NAME.test(value)) {
    return value.length >= 2 && value.length <= 50 ? '' : '外文姓名须为 2–50 个字母（可含空格、连字符、撇号）'
  }
  return '请填写与证件一致的真实姓名（汉字，或外文字母）'
}

const MOBILE = /^1[3-9]\d{9}$/
const E164 = /^\+[1-9]\d{6,14}$/

/** validate_phone, of a normalised number: a mainland mobile (11 digits starting 13–19), or an
 * international number (+ and country code); a +86 number only as a mobile, which normalisePhone
 * has made its 11 digits. */
export function isPhone(normalised: string): boolean {
  return MOBILE.test(normalised) || (E164.test(normalised) && !normalised.startsWith('+86'))
}

/**
 * A normalised number that is no mobile but reads as a landline: with its area code (0431 8888 8888,
 * 010-12345678: 0 and 9–11 more digits), a local number alone (7–8 digits), a +86 number that is not a
 * mobile, or 11 digits not starting 13–19. Spaces and hyphens are gone already (normalisePhone, as the
 * service's Phone field drops them), so a landline typed with them is still recognised as one.
 */
export function looksLikeLandline(normalised: string): boolean {
  if (isPhone(normalised)) return false
  return /^0\d{9,11}$/.test(normalised) || /^\d{7,8}$/.test(normalised) || /^\d{11}$/.test(normalised) || /^\+86\d{7,12}$/.test(normalised)
}

/** A mainland mobile (11 digits starting 13–19) or an international number (+ and country code). */
export function phoneProblem(phone: string): string {
  const value = normalisePhone(phone)
  if (!value) return '请填写手机号码'
  if (isPhone(value)) return ''
  if (looksLikeLandline(value)) return '请填写手机号码（11 位，以 13–19 开头），不能填写座机号码'
  return '请填写 11 位中国大陆手机号码，或以“+”和国家/地区代码开头的国际号码（如 +85291234567）'
}

// ---- the booking form ------------------------------------------------------------------------

export const MAX_VISITORS = 5

export interface VisitorForm {
  name: string
  id_type: IdType
  id_number: string
  phone: string
}

export interface GroupForm {
  organisation: string
  leader_name: string
  leader_phone: string
  headcount: string
}

export const emptyVisitor = (): VisitorForm => ({ name: '', id_type: 'resident_id', id_number: '', phone: '' })
export const emptyGroup = (): GroupForm => ({ organisation: '', leader_name: '', leader_phone: '', headcount: '' })

/** 1 to 5 named visitors per booking. */
export function visitorCountProblem(count: number): string {
  if (count < 1) return '请至少填写 1 位参观人'
  if (count > MAX_VISITORS) return `每次预约最多 ${MAX_VISITORS} 人`
  return ''
}

export const canAddVisitor = (count: number): boolean => count < MAX_VISITORS

/** The group's headcount: a whole number from 1 to the slot's group places (at most 500). */
export function headcountProblem(text: string, groupCapacity = 500): string {
  const value = text.trim()
  if (!/^\d+$/.test(value)) return '请填写团体人数（整数）'
  const n = Number(value)
  const max = Math.min(500, groupCapacity)
  if (n < 1) return '团体人数至少 1 人'
  if (n > max) return `该时段团体最多 ${max} 人`
  return ''
}

export function organisationProblem(text: string): string {
  const length = text.trim().length
  if (length < 2) return '请填写单位名称（至少 2 个字）'
  return length > 100 ? '单位名称最多 100 个字' : ''
}

/** Every problem of the form, keyed as the service keys its 422 details (`visitors.0.id_number`). */
export function visitorsProblems(visitors: VisitorForm[]): Record<string, string> {
  const out: Record<string, string> = {}
  const count = visitorCountProblem(visitors.length)
  if (count) out.visitors = count
  const seen = new Map<string, number>()
  visitors.forEach((v, i) => {
    const name = nameProblem(v.name)
    if (name) out[`visitors.${i}.name`] = name
    const doc = documentProblem(v.id_type, v.id_number)
    if (doc) out[`visitors.${i}.id_number`] = doc
    const phone = phoneProblem(v.phone)
    if (phone) out[`visitors.${i}.phone`] = phone
    const key = `${v.id_type}:${normaliseDocument(v.id_number)}`
    if (!doc && seen.has(key)) out[`visitors.${i}.id_number`] = '同一预约中证件不能重复'
    seen.set(key, i)
  })
  return out
}

export function groupProblems(group: GroupForm, groupCapacity = 500): Record<string, string> {
  const out: Record<string, string> = {}
  const checks: [string, string][] = [
    ['group.organisation', organisationProblem(group.organisation)],
    ['group.leader_name', nameProblem(group.leader_name)],
    ['group.leader_phone', phoneProblem(group.leader_phone)],
    ['group.headcount', headcountProblem(group.headcount, groupCapacity)],
  ]
  for (const [field, problem] of checks) if (problem) out[field] = problem
  return out
}

// ---- a group's name list (PUT /bookings/{id}/members) -----------------------------------------

export interface GroupMember {
  name: string
  minor: boolean
}

/** The service's rule: at least one adult for every MINORS_PER_ADULT minors. */
export const MINORS_PER_ADULT = 10

/** One name per line (a list pasted from a spreadsheet works too: blank lines and spaces around dropped). */
export function namesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
}

/** The list the service takes from the two boxes: the minors, then the adults (names as normaliseName keeps them). */
export function groupMembers(minorsText: string, adultsText: string): GroupMember[] {
  return [
    ...namesOf(minorsText).map((name) => ({ name: normaliseName(name), minor: true })),
    ...namesOf(adultsText).map((name) => ({ name: normaliseName(name), minor: false })),
  ]
}

/** Why this list cannot be the group's, in Chinese, under the field it concerns ('minors', 'adults' or 'members'). */
export function membersProblems(members: GroupMember[], headcount: number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const member of members) {
    const problem = nameProblem(member.name)
    const field = member.minor ? 'minors' : 'adults'
    if (problem && !out[field]) out[field] = `“${member.name}”：${problem}`
  }
  const minors = members.filter((m) => m.minor).length
  if (members.length !== headcount) out.members = `名单共 ${members.length} 人，须与团体人数 ${headcount} 人一致`
  else if (minors && (headcount - minors) * MINORS_PER_ADULT < minors) {
    out.adults = `每 ${MINORS_PER_ADULT} 名未成年人须至少有 1 名成年人带队（${minors} 名未成年人至少需 ${Math.ceil(minors / MINORS_PER_ADULT)} 名成年人）`
  }
  return out
}

export type BookingBody =
  | { slot_id: number; base_id?: number; visitors: VisitorForm[] }
  | {
      slot_id: number
      base_id?: number
      group: { organisation: string; leader_name: string; leader_phone: string; headcount: number }
    }

/** The JSON the service takes: trimmed, document numbers normalised. */
export function bookingBody(slotId: number, baseId: number | undefined, kind: BookingKind, visitors: VisitorForm[], group: GroupForm): BookingBody {
  const where = baseId ? { slot_id: slotId, base_id: baseId } : { slot_id: slotId }
  if (kind === 'group') {
    return {
      ...where,
      group: {
        organisation: group.organisation.trim(),
        leader_name: normaliseName(group.leader_name),
        leader_phone: normalisePhone(group.leader_phone),
        headcount: Number(group.headcount.trim()),
      },
    }
  }
  return {
    ...where,
    visitors: visitors.map((v) => ({
      name: normaliseName(v.name),
      id_type: v.id_type,
      id_number: normaliseDocument(v.id_number),
      phone: normalisePhone(v.phone),
    })),
  }
}

// ---- the calendar ----------------------------------------------------------------------------

const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六']
/** The service's zone (APP_TIMEZONE, Asia/Shanghai: no daylight saving). */
const OFFSET_MINUTES = 8 * 60

/** Today's date where the bases are (YYYY-MM-DD), whatever the device's zone. */
export function localToday(now: number = Date.now()): string {
  return new Date(now + OFFSET_MINUTES * 60_000).toISOString().slice(0, 10)
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** `days` days from `first` (today) on. */
export function week(first: string, days = 7): string[] {
  return Array.from({ length: days }, (_, i) => addDays(first, i))
}

/** The service's defaults for a base without a profile (app/visits/calendar.py profile_of). */
export const DEFAULT_DAYS_AHEAD = 7
export const DEFAULT_RELEASE_HOUR = 8

type Window = Pick<BaseProfile, 'booking_days_ahead' | 'release_hour'> | null | undefined

/**
 * The days a base's page lists: today to the last day of its booking window. A slot opens
 * `booking_days_ahead` days before its day at `release_hour`, so the window's last day (today + that
 * many days) is the one released today: listed too, "08:00 开放预约" until then.
 */
export function bookingWindow(today: string, profile: Window): string[] {
  const ahead = profile?.booking_days_ahead ?? DEFAULT_DAYS_AHEAD
  return week(today, Math.max(0, ahead) + 1)
}

/** 8 → "08:00" */
function hourText(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`
}

/** The base's release rule in a sentence: 每天 08:00 开放 7 天后的参观预约。 */
export function releaseRule(profile: Window): string {
  const ahead = profile?.booking_days_ahead ?? DEFAULT_DAYS_AHEAD
  return `每天 ${hourText(profile?.release_hour ?? DEFAULT_RELEASE_HOUR)} 开放 ${ahead} 天后的参观预约。`
}

/**
 * A moment of the service's answer as the app writes dates (no year, its own zone):
 * 2026-11-28T08:00:00+08:00 → 11月28日 08:00, or 今天 08:00 when that is `today`.
 */
export function momentText(iso: string | null | undefined, today?: string): string {
  const d = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso ?? '')
  if (!d) return ''
  const day = today && `${d[1]}-${d[2]}-${d[3]}` === today ? '今天' : `${Number(d[2])}月${Number(d[3])}日`
  return `${day} ${d[4]}:${d[5]}`
}

/** 「将于」 and a moment: a space before digits (将于 11月28日), none between words (将于今天). */
function atMoment(when: string): string {
  return /^\d/.test(when) ? ` ${when} ` : `${when} `
}

/** 2026-11-26 → 11月26日 周四 */
export function dayLabel(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`)
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 周${WEEKDAYS[d.getUTCDay()]}`
}

/** The time as written in the service's answer (its own zone): 2026-11-26T09:00:00+08:00 → 09:00. */
export function clock(iso: string | null | undefined): string {
  const match = /T(\d{2}):(\d{2})/.exec(iso ?? '')
  return match ? `${match[1]}:${match[2]}` : ''
}

export const slotTime = (slot: { starts_at: string; ends_at: string }) => `${clock(slot.starts_at)}–${clock(slot.ends_at)}`

/** A day the base closed (GET /bases/{id}/closures), with the reason staff gave. */
export interface ClosedDay {
  date: string
  reason: string
}

/**
 * The slots of each day of the window, in time order (days without slots keep an empty list), and
 * the reason a day is closed, if it is (a day closed ahead has no slots to say so).
 */
export function slotsByDay(
  days: string[],
  slots: Slot[],
  closed: ClosedDay[] = [],
): { day: string; slots: Slot[]; closedReason: string | null }[] {
  return days.map((day) => ({
    day,
    slots: slots.filter((s) => s.visit_date === day).sort((a, b) => a.starts_at.localeCompare(b.starts_at)),
    closedReason: closed.find((c) => c.date === day)?.reason ?? null,
  }))
}

/**
 * What a slot offers now: book it; join its waitlist; `group_or_wait` (individual places taken, group
 * places left: an individual waits, a group books); or nothing (with the reason shown).
 */
export type SlotAction = 'book' | 'waitlist' | 'group_or_wait' | 'none'

export function slotAction(slot: Slot): SlotAction {
  if (slot.status === 'individual_full') return 'group_or_wait'
  if (slot.bookable && (slot.remaining > 0 || slot.group_remaining > 0)) return 'book'
  return slot.status === 'full' ? 'waitlist' : 'none'
}

export type BookingKind = 'individual' | 'group'

/** Who may ask for the slot at all: individuals where it has individual places, groups where it has group places. */
export function kindsOffered(slot: Slot): BookingKind[] {
  const kinds: BookingKind[] = []
  if (slot.capacity > 0 && slot.status !== 'groups_only') kinds.push('individual')
  if (slot.group_capacity > 0) kinds.push('group')
  return kinds
}

/**
 * What the form does for this kind of request: book, or join the waitlist when that kind's places are
 * taken (individual_full: an individual waits while a group books), or nothing.
 */
export function kindAction(slot: Slot, kind: BookingKind): 'book' | 'waitlist' | 'none' {
  if (slotAction(slot) === 'none' || !kindsOffered(slot).includes(kind)) return 'none'
  const left = kind === 'group' ? slot.group_remaining : slot.remaining
  return slot.bookable && left > 0 ? 'book' : 'waitlist'
}

/** The line under a slot's time: places left, or why it cannot be booked (`today`: a release today reads 今天 08:00). */
export function slotState(slot: Slot, today?: string): string {
  if (slot.status === 'individual_full') return `个人已约满，可候补 · 团体余 ${slot.group_remaining}`
  if (slot.status === 'groups_only') return `仅接受团体预约，余 ${slot.group_remaining} 个名额`
  const action = slotAction(slot)
  if (action === 'book') {
    const group = slot.group_capacity > 0 ? `，团体余 ${slot.group_remaining}` : ''
    return `余 ${slot.remaining} 个名额${group}`
  }
  if (action === 'waitlist') return '已约满，可候补'
  if (slot.status === 'not_released') {
    const when = momentText(slot.opens_at, today)
    return when ? `${when} 开放预约` : '尚未开放预约'
  }
  if (slot.status === 'closed') return slot.closed_reason ? `闭馆：${slot.closed_reason}` : '闭馆'
  return slot.status_label || '不可预约'
}

/** What tapping the slot does, said after its state in its spoken name (「，预约」). */
export function slotVerb(slot: Slot): string {
  switch (slotAction(slot)) {
    case 'book':
      return slot.status === 'groups_only' ? '，团体预约' : '，预约'
    case 'waitlist':
      return '，加入候补'
    case 'group_or_wait':
      return '，个人候补或团体预约'
    default:
      return ''
  }
}

/**
 * Why a slot a link points at cannot be booked now, in a sentence ('' when it can be booked or waited
 * for): said before the form, not after it was filled in.
 */
export function slotRefusal(slot: Slot, today?: string): string {
  if (slotAction(slot) !== 'none') return ''
  switch (slot.status) {
    case 'not_released': {
      const when = momentText(slot.opens_at, today)
      return when ? `该时段尚未开放预约，将于${atMoment(when)}开放，届时再来预约。` : '该时段尚未开放预约。'
    }
    case 'closed':
      return slot.closed_reason ? `该时段闭馆（${slot.closed_reason}），不能预约。` : '该时段闭馆，不能预约。'
    case 'started':
      return '该时段的参观已经开始，不能再预约。'
    case 'ended':
      return '该时段的参观已经结束，不能再预约。'
    default:
      return '该时段现在不能预约，请选择其他时段。'
  }
}

/**
 * The booking service's refusals that carry a moment, worded as the app writes dates (the service's
 * own sentence says 2026-11-28 08:00), or a visitor's position, named as the form names them; '' for
 * any other refusal (its message is shown as it is).
 */
export function bookingRefusal(code: string, details: Record<string, unknown>, today?: string): string {
  if (code === 'slot_not_released' && typeof details.opens_at === 'string') {
    const when = momentText(details.opens_at, today)
    if (when) return `该时段尚未开放预约，将于${atMoment(when)}开放`
  }
  if (code === 'booking_suspended' && typeof details.suspended_until === 'string') {
    const until = /^(\d{4})-(\d{2})-(\d{2})/.exec(details.suspended_until)
    if (until) return `因多次预约未到，预约功能暂停至 ${Number(until[2])}月${Number(until[3])}日`
  }
  // Which of the form's visitors (参观人 1, 2, …) the refusal is about: details.visitor counts from 0.
  if (typeof details.visitor === 'number' && Number.isInteger(details.visitor) && details.visitor >= 0) {
    const who = `参观人 ${details.visitor + 1}`
    if (code === 'person_already_booked') return `${who} 的证件当天在本基地不可预约（每人每天限预约一次）`
    if (code === 'person_already_waiting') return `${who} 已在本时段候补，无需重复候补`
  }
  return ''
}

/** A booking link's query (?base=&slot=&date=): what is wrong with it, before anything is asked ('' when fine). */
export function bookLinkProblem(base: number | null, slot: number | null, date: string | undefined): string {
  if (base === null) return '预约链接有误，请从教育基地页面选择时段。'
  if (slot === null || !/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) return '预约链接不完整，请回到基地页面重新选择时段。'
  return ''
}

// ---- cancelling a booking, and my waitlist -----------------------------------------------------

/**
 * Whether the booking may still be cancelled at `now`, and the sentence that says until when, in the
 * app's date words: 11月30日 08:00 前可以取消。 An older service sends no cancellable_until: its rule in words.
 */
export function cancelDeadline(until: string | null | undefined, now: number = Date.now()): { open: boolean; text: string } {
  const when = momentText(until, localToday(now))
  const moment = Date.parse(until ?? '')
  if (!when || Number.isNaN(moment)) return { open: true, text: '参观开始前的截止时间之前可以取消。' }
  if (now < moment) return { open: true, text: `${when} 前可以取消。` }
  return { open: false, text: `取消截止时间（${when}）已过，不能再取消这次预约。` }
}

/** A waitlist entry's state under its time: 候补中 · 排在第 2 位 · 1 人, or 候补成功，已预约 · 1 人. */
export function waitlistState(entry: Pick<WaitlistEntry, 'status' | 'status_label' | 'position' | 'headcount'>): string {
  const place = entry.status === 'waiting' && entry.position ? ` · 排在第 ${entry.position} 位` : ''
  return `${entry.status_label}${place} · ${entry.headcount} 人`
}

/** Only a waiting request can be withdrawn (the service answers 409 not_waiting otherwise). */
export const canWithdraw = (entry: Pick<WaitlistEntry, 'status'>): boolean => entry.status === 'waiting'

/**
 * Why withdrawing a waitlist request was refused, in words that say what to do ('' for another
 * refusal: its own message is shown). 409 not_waiting names the entry's state in details.status.
 */
export function withdrawRefusal(code: string, details: Record<string, unknown>): string {
  if (code !== 'not_waiting') return ''
  switch (details.status) {
    case 'promoted':
      return '候补已成功，已为您预约，不能再取消候补。如不能前往，请打开这次预约并取消预约。'
    case 'failed':
      return '这次候补未成功，已不在候补名单中，无需取消。'
    case 'cancelled':
      return '这次候补已经取消。'
    default:
      return '这次候补已不在候补名单中，不能取消。'
  }
}

// ---- the door --------------------------------------------------------------------------------

/**
 * The check-in code from what the scanner read: the plain QR code holds the code itself; the
 * mini-program code gives a `path` whose `scene` holds it (URL-encoded).
 */
export function codeFromScan(result: { result?: string; path?: string }): string {
  const path = result.path ?? ''
  const scene = /[?&]scene=([^&]+)/.exec(path)
  if (scene) {
    try {
      return decodeURIComponent(scene[1]).trim()
    } catch {
      return scene[1].trim()
    }
  }
  return (result.result ?? '').trim()
}

/** A typed or scanned code looks like `<booking id>.<signature>`: worth sending. */
export function checkinCodeProblem(code: string): string {
  const value = code.trim()
  if (!value) return '请输入核验码'
  return /^\d+\.[A-Za-z0-9_-]{4,}={0,2}$/.test(value) ? '' : '核验码格式不正确，请核对后重新输入'
}

/**
 * The door's headline in Chinese, by the service's answer; '' where the service's own Chinese message
 * says it best (a wrong day: "不是预约当天" or "核验码已过期").
 */
export function checkinOutcome(status: number, code: string): string {
  if (status === 200) return '核验通过，已入馆'
  if (status === 409 && code === 'already_checked_in') return '该预约已核验入馆，请勿重复核验'
  if (status === 409 && code === 'booking_not_active') return '该预约已取消或已失效，不能入馆'
  if (status === 403) return '不是本基地的预约'
  if (status === 400) return '核验码无效'
  return ''
}
