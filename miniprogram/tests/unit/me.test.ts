import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/types'
import {
  EXPORT_SECTIONS,
  exportFileName,
  exportSummary,
  feedKindLabel,
  FINAL_CONFIRM_DELAY_MS,
  finalConfirmReady,
  guardianCodeProblem,
  guardianCodeRefusal,
  needsGuardian,
  normalizeGuardianCode,
  relationshipProblem,
} from '@/lib/me-rights'
import {
  amountText,
  coordinatesText,
  followersText,
  indicatorNote,
  milestoneState,
  onTrackText,
  periodText,
  progressVerdict,
  updateKindLabel,
} from '@/lib/zone-extra'

describe('export summary', () => {
  const data = { generated_at: '2026-11-25T18:00:00+08:00', user: { id: 1 }, bookings: [{}, {}], student_profile: null, zone_follows: [] }

  it('counts a list section', () => {
    expect(exportSummary(data).find((l) => l.key === 'bookings')?.text).toBe('2 条')
  })

  it('names a section in Chinese', () => {
    expect(exportSummary(data).find((l) => l.key === 'bookings')?.label).toBe('预约记录')
  })

  it('says 无 for an absent record', () => {
    expect(exportSummary(data).find((l) => l.key === 'student_profile')?.text).toBe('无')
  })

  it('never shows a value of a record, only that it is there', () => {
    expect(exportSummary(data).find((l) => l.key === 'user')?.text).toBe('有')
  })

  it('leaves the generation time out of the sections', () => {
    expect(exportSummary(data).map((l) => l.key)).not.toContain('generated_at')
  })

  it('gives a section it does not know a generic name', () => {
    expect(exportSummary({ brand_new: [] })[0].label).toBe('其他记录')
  })

  it('names the file by the day it was made', () => {
    expect(exportFileName('2026-11-25T18:00:00+08:00')).toBe('我的数据-2026-11-25.json')
  })
})

describe('guardian consent rules', () => {
  it('an empty code is refused before sending', () => {
    expect(guardianCodeProblem('   ')).toBe('请输入孩子分享的授权码')
  })

  it('a code typed with spaces is accepted', () => {
    expect(guardianCodeProblem(' ab cd ')).toBe('')
  })

  it('spaces are taken out of a typed code', () => {
    expect(normalizeGuardianCode(' ab cd\n')).toBe('abcd')
  })

  it('an overlong code is refused', () => {
    expect(guardianCodeProblem('x'.repeat(101))).toBe('授权码过长，请核对后重新输入')
  })

  it('a relationship must be chosen', () => {
    expect(relationshipProblem('')).toBe('请选择您与孩子的关系')
  })

  it('a chosen relationship passes', () => {
    expect(relationshipProblem('mother')).toBe('')
  })

  it('a student under 14 without consent needs a guardian', () => {
    expect(needsGuardian({ age_band: 'under_14', guardian_consent: false })).toBe(true)
  })

  it('a student under 14 with consent does not', () => {
    expect(needsGuardian({ age_band: 'under_14', guardian_consent: true })).toBe(false)
  })

  it('a student of 14 or more does not', () => {
    expect(needsGuardian({ age_band: '14_17', guardian_consent: false })).toBe(false)
  })

  it('a person who is not a student does not', () => {
    expect(needsGuardian(null)).toBe(false)
  })
})

describe('feed and zone wording', () => {
  it('a campaign item is a school activity', () => {
    expect(feedKindLabel({ kind: 'campaign' })).toBe('学校活动')
  })

  it('a zone update item is a zone update', () => {
    expect(feedKindLabel({ kind: 'zone_update' })).toBe('示范区动态')
  })

  it('a report update is named', () => {
    expect(updateKindLabel('report')).toBe('进展报告')
  })

  it('an unknown update kind still reads as Chinese', () => {
    expect(updateKindLabel('something_new')).toBe('动态')
  })

  it('a late milestone is marked late', () => {
    expect(milestoneState({ id: 1, name: 'x', planned_on: '2026-01-01', done_on: null, late: true })).toBe('已逾期')
  })

  it('a done milestone is done, late or not', () => {
    expect(milestoneState({ id: 1, name: 'x', planned_on: '2026-01-01', done_on: '2026-02-01', late: false })).toBe('已完成')
  })

  it('on track', () => {
    expect(onTrackText(true)).toBe('按计划推进')
  })

  it('behind', () => {
    expect(onTrackText(false)).toBe('进度滞后')
  })

  it('not enough data', () => {
    expect(onTrackText(null)).toBe('暂无足够数据判断')
  })

  it('a quarter in words', () => {
    expect(periodText('2026Q3')).toBe('2026 年第 3 季度')
  })

  it('a malformed quarter says nothing', () => {
    expect(periodText('2026Q5')).toBe('')
  })

  it('followers counted', () => {
    expect(followersText(12)).toBe('12 人关注')
  })

  it('coordinates in Chinese', () => {
    expect(coordinatesText({ latitude: 43.8171, longitude: 125.3236 })).toBe('北纬 43.817100°，东经 125.323600°')
  })
})

/** Every section GET /me/export answers (ExportOut: typed as Required, so a section added to the schema fails tsc here). */
const EVERY_SECTION: Required<Schemas['ExportOut']> = {
  generated_at: '2026-11-28T01:00:00+08:00',
  user: {},
  student_profile: null,
  bookings: [],
  waitlist: [],
  objections: [],
  campaign_participations: [],
  checkins: [],
  school_follows: [],
  uploads: [],
  guardian_consents: [],
  post_reports: [],
  policy_consents: [],
  role_grants: [],
  zone_follows: [],
}

describe('the export summary names every section it holds', () => {
  const lines = exportSummary(EVERY_SECTION)

  it('no section of the export is 「其他记录」', () => {
    expect(lines.filter((l) => l.label === '其他记录').map((l) => l.key)).toEqual([])
  })

  it('no two sections share a name', () => {
    expect(new Set(lines.map((l) => l.label)).size).toBe(lines.length)
  })

  it('post_reports are the reports one made', () => {
    expect(EXPORT_SECTIONS.post_reports).toBe('举报记录')
  })

  it('role_grants are the roles one was given', () => {
    expect(EXPORT_SECTIONS.role_grants).toBe('角色授权')
  })
})

describe('注销账号: the last confirmation cannot be hit by a double tap', () => {
  it('is disabled for a moment after it appears', () => {
    expect(finalConfirmReady(1_000, 1_000 + 300)).toBe(false)
  })

  it('long enough to outlast a double tap', () => {
    expect(FINAL_CONFIRM_DELAY_MS).toBeGreaterThanOrEqual(1000)
  })

  it('may be tapped once the moment has passed', () => {
    expect(finalConfirmReady(1_000, 1_000 + FINAL_CONFIRM_DELAY_MS)).toBe(true)
  })
})

describe('a guardian code the service refused', () => {
  it('a mistyped code: the code is wrong (not 「同意链接无效」)', () => {
    expect(guardianCodeRefusal('guardian_link_not_found')).toBe('授权码无效，请核对后重新输入')
  })

  it('a used code asks for a new one', () => {
    expect(guardianCodeRefusal('guardian_link_used')).toBe('这个授权码已经用过了，请让孩子重新生成')
  })

  it('an expired code asks for a new one', () => {
    expect(guardianCodeRefusal('guardian_link_expired')).toBe('这个授权码已过期（有效期 7 天），请让孩子重新生成')
  })

  it('another failure is not the code’s fault', () => {
    expect(guardianCodeRefusal('network_error')).toBe('')
  })
})

describe('the zone page’s figures', () => {
  const indicator = { unit: 'tCO₂e/年', latest_year: 2025, baseline_value: 6, baseline_year: 2022, change_percent: -20 }

  it('the baseline carries its unit', () => {
    expect(indicatorNote(indicator).baseline).toEqual({ lead: '基准年 2022 年', amount: '6 tCO₂e/年' })
  })

  it('the change is said in words', () => {
    expect(indicatorNote(indicator).change).toBe('下降 20%')
  })

  it('no baseline, no baseline line', () => {
    expect(indicatorNote({ ...indicator, baseline_value: null }).baseline).toBeNull()
  })

  it('a figure and its unit as one piece', () => {
    expect(amountText(27733.4, 'tCO₂e/年')).toBe('27,733.4 tCO₂e/年')
  })

  it('a revoked zone gets no progress verdict', () => {
    expect(progressVerdict(true, 'revoked')).toBe('')
  })

  it('a zone rejected at acceptance neither', () => {
    expect(progressVerdict(true, 'rejected')).toBe('')
  })

  it('a zone under construction does', () => {
    expect(progressVerdict(true, 'confirmed')).toBe('按计划推进')
  })

  it('a titled zone, whose construction is over, does not', () => {
    expect(progressVerdict(true, 'titled')).toBe('')
  })
})
