/** Display helpers (Chinese conventions). Times from the service are ISO 8601 with their offset. */

/** 2026-11-26T09:00:00+08:00 → 2026年11月26日 (the date as written, in the service's zone). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return ''
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  if (!match) return ''
  return `${match[1]}年${Number(match[2])}月${Number(match[3])}日`
}

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  const rounded = Math.round(value * 10) / 10
  const [whole, fraction] = String(Math.abs(rounded)).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${rounded < 0 ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`
}

/** −20.0 → "下降 20%"; 5 → "上升 5%". */
export function formatChange(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return ''
  if (percent === 0) return '持平'
  return `${percent < 0 ? '下降' : '上升'} ${formatNumber(Math.abs(percent))}%`
}
