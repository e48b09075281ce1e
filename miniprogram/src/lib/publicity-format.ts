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

/**
 * Is this notice taking objections now? Its `window_state` when the service gives one (the service's
 * clock decides); otherwise starts_at ≤ now < ends_at. An upcoming notice is never shown as open.
 */
export function isOpenNow(
  notice: { window_state?: string | null; starts_at?: string | null; ends_at?: string | null },
  now: number = Date.now(),
): boolean {
  if (notice.window_state) return notice.window_state === 'open'
  const start = Date.parse(notice.starts_at ?? '')
  const end = Date.parse(notice.ends_at ?? '')
  return Number.isFinite(start) && Number.isFinite(end) && start <= now && now < end
}

/** The first of the notices that is open now (the home page's 正在公示), or null. */
export function firstOpen<T extends { window_state?: string | null; starts_at?: string | null; ends_at?: string | null }>(
  notices: T[],
  now: number = Date.now(),
): T | null {
  return notices.find((notice) => isOpenNow(notice, now)) ?? null
}
