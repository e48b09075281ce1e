import { describe, expect, it } from 'vitest'
import {
  exportFileName,
  exportSummary,
  feedKindLabel,
  guardianCodeProblem,
  needsGuardian,
  normalizeGuardianCode,
  relationshipProblem,
} from '@/lib/me-rights'
import { coordinatesText, followersText, milestoneState, onTrackText, periodText, updateKindLabel } from '@/lib/zone-extra'

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
