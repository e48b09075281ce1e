/** Publicity dates as people read them. Times are ISO 8601 in the service's zone (app/times.py). */

function parts(iso: string): { y: number; m: number; d: number; time: string } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(iso)
  return match ? { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]), time: match[4] } : null
}

function dayBefore(y: number, m: number, d: number): { y: number; m: number; d: number } {
  const date = new Date(Date.UTC(y, m - 1, d - 1))
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() }
}

/**
 * "2026年11月20日至11月26日": a window ending at 00:00 closes the day before (as the service words it);
 * the year written once when both ends are in the same year.
 */
export function periodText(startsAt: string, endsAt: string): string {
  const start = parts(startsAt)
  const end = parts(endsAt)
  if (!start || !end) return ''
  const last = end.time === '00:00' ? dayBefore(end.y, end.m, end.d) : end
  const from = `${start.y}年${start.m}月${start.d}日`
  const to = `${last.y === start.y ? '' : `${last.y}年`}${last.m}月${last.d}日`
  return `${from}至${to}`
}

/** 2026-11-25T16:05:09+08:00 → 2026年11月25日 16:05 */
export function dateTimeText(iso: string | null | undefined): string {
  const at = iso ? parts(iso) : null
  return at ? `${at.y}年${at.m}月${at.d}日 ${at.time}` : ''
}
