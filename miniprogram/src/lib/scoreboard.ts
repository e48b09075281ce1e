/**
 * The home page's figures. GET /programme (the public scoreboard, issue 22) when the service has it;
 * until then (404) the same first figures are counted from /zones.
 */
import type { Client } from '@/api/request'
import { ApiError } from '@/api/request'
import type { Page, Schemas, ZoneCard } from '@/api/types'

/** GET /programme's answer (ProgrammeOut in schema.d.ts, generated from the service's OpenAPI). */
export type Programme = Schemas['ProgrammeOut']

export interface Figure {
  label: string
  value: number
  unit?: string
}

const PUBLIC_PROGRESS = ['confirmed', 'acceptance_review']

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function pick(source: unknown, path: string[]): number | null {
  let at: unknown = source
  for (const key of path) {
    if (!at || typeof at !== 'object') return null
    at = (at as Record<string, unknown>)[key]
  }
  return num(at)
}

/**
 * The figures the scoreboard names (whatever of them the answer holds), each read where ProgrammeOut
 * puts it. The one reduction shown is the school campaigns' estimate (students' check-ins and class
 * actions), labelled as such: not the zones' verified reductions.
 */
export function figuresFromProgramme(programme: Programme | unknown): Figure[] {
  const wanted: [string, string[], string?][] = [
    ['公开示范区', ['zones', 'total']],
    // titles.total counts every title granted, one later revoked too (ProgrammeOut's description).
    ['累计授予称号', ['titles', 'total']],
    ['创建中', ['construction', 'total']],
    ['教育基地', ['visits', 'education_bases']],
    ['参观人次', ['visits', 'visitors_total']],
    ['公示异议', ['publicity', 'objections']],
    ['参与学生', ['campaigns', 'students']],
    ['校园活动减碳（估算）', ['campaigns', 'co2_kg'], 'kg CO₂e'],
  ]
  const out: Figure[] = []
  for (const [label, path, unit] of wanted) {
    const value = pick(programme, path)
    if (value !== null) out.push({ label, value, unit })
  }
  return out
}

async function countZones(client: Client, query: Record<string, string>): Promise<number> {
  const page = await client.get<Page<ZoneCard>>('/zones', { ...query, per_page: 1 })
  return page.total
}

export async function loadScoreboard(client: Client): Promise<{ figures: Figure[]; fromProgramme: boolean }> {
  try {
    const figures = figuresFromProgramme(await client.get<unknown>('/programme'))
    if (figures.length) return { figures, fromProgramme: true }
  } catch (error) {
    if (!(error instanceof ApiError) || error.kind !== 'not_found') throw error
  }
  const [total, titled, ...building] = await Promise.all([
    countZones(client, {}),
    countZones(client, { status: 'titled' }),
    ...PUBLIC_PROGRESS.map((status) => countZones(client, { status })),
  ])
  return {
    figures: [
      { label: '公开示范区', value: total },
      { label: '已授予称号', value: titled },
      { label: '创建中', value: building.reduce((a, b) => a + b, 0) },
    ],
    fromProgramme: false,
  }
}
