/** The zone page's follow, progress and updates: shapes and the pure wording (unit-tested). */
import { formatChange, formatNumber } from './format'

export interface FollowState {
  zone_id: number
  following: boolean
  followers: number
}

export interface YearValue {
  year: number
  value: number
}

export interface PublicMilestone {
  id: number
  name: string
  planned_on: string
  done_on: string | null
  late: boolean
}

export interface ZoneProgress {
  percent: number | null
  milestones: PublicMilestone[]
  indicator: { key: string; name: string; unit: string } | null
  series: YearValue[]
  baseline: YearValue | null
  target: YearValue | null
  change_pct: number | null
  on_track: boolean | null
  last_report_period: string | null
}

export interface ZoneUpdate {
  kind: 'report' | 'milestone' | 'transition' | 're_review' | string
  occurred_at: string
  title: string
  summary: string | null
  period?: string
  outcome?: string
}

export interface ZoneLocation {
  latitude: number
  longitude: number
}

const UPDATE_KINDS: Record<string, string> = {
  report: '进展报告',
  milestone: '节点完成',
  transition: '状态变更',
  re_review: '复核',
}

export const updateKindLabel = (kind: string): string => UPDATE_KINDS[kind] ?? '动态'

export function milestoneState(m: PublicMilestone): string {
  if (m.done_on) return '已完成'
  return m.late ? '已逾期' : '未完成'
}

export function onTrackText(onTrack: boolean | null): string {
  if (onTrack === null) return '暂无足够数据判断'
  return onTrack ? '按计划推进' : '进度滞后'
}

/**
 * Statuses whose construction is over (titled, or the title revoked or refused): the service still
 * computes `on_track` for them, but 「按计划推进」 is construction's word, and beside a revoked title it
 * would mislead, so no verdict is shown; nor 「尚未设定建设节点」, which nobody will set any more.
 */
const CONSTRUCTION_OVER = ['titled', 'revoked', 'rejected']

export function constructionOver(status: string | null | undefined): boolean {
  return CONSTRUCTION_OVER.includes(status ?? '')
}

/** The verdict shown beside a zone's verified series ('' once its construction is over). */
export function progressVerdict(onTrack: boolean | null, status: string | null | undefined): string {
  return constructionOver(status) ? '' : onTrackText(onTrack)
}

/** A figure with its unit, the way it is kept on one line (6 → "6 tCO₂e/年"). */
export function amountText(value: number | null | undefined, unit: string | null | undefined): string {
  const figure = formatNumber(value)
  return unit ? `${figure} ${unit}` : figure
}

/** The line under an indicator: its year, the baseline with its unit, the change. */
export function indicatorNote(indicator: {
  unit: string
  latest_year: number | null
  baseline_value: number | null
  baseline_year: number | null
  change_percent: number | null
}): { year: string; baseline: { lead: string; amount: string } | null; change: string } {
  return {
    year: indicator.latest_year ? `${indicator.latest_year} 年` : '暂无数据',
    baseline:
      indicator.baseline_value !== null
        ? { lead: `基准年 ${indicator.baseline_year ? `${indicator.baseline_year} 年` : ''}`.trim(), amount: amountText(indicator.baseline_value, indicator.unit) }
        : null,
    change: indicator.change_percent !== null ? formatChange(indicator.change_percent) : '',
  }
}

/** 2026Q3 → 2026 年第 3 季度 */
export function periodText(period: string | null | undefined): string {
  const m = /^(\d{4})Q([1-4])$/.exec(period ?? '')
  return m ? `${m[1]} 年第 ${m[2]} 季度` : ''
}

export function followersText(count: number): string {
  return `${count} 人关注`
}

/** Six decimals is about 0.1 m: enough for a person to find the place. 北纬 43.817100°，东经 125.323600° */
export function coordinatesText(location: ZoneLocation): string {
  const lat = `${location.latitude >= 0 ? '北纬' : '南纬'} ${Math.abs(location.latitude).toFixed(6)}°`
  const lng = `${location.longitude >= 0 ? '东经' : '西经'} ${Math.abs(location.longitude).toFixed(6)}°`
  return `${lat}，${lng}`
}
