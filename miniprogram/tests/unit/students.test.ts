import { describe, expect, it } from 'vitest'
import {
  boardFigure,
  checkinDays,
  boardRows,
  estimateCo2,
  factorText,
  formatCo2,
  formatPoints,
  formatShare,
  fallbackName,
  isOwnPost,
  joinCodeProblem,
  normalizeJoinCode,
  noteProblem,
  parseQuantity,
  postsEmptyText,
  plainNumber,
  quantityProblem,
  refusalExplanation,
  sourceText,
  studentStatus,
  type BoardEntry,
  type StudentSelf,
} from '@/lib/students-rules'

const walk = { unit_kind: 'amount', unit_label: '公里', daily_cap: 10 }
const plate = { unit_kind: 'count', unit_label: '餐', daily_cap: 3 }

describe('the check-in quantity', () => {
  it('is required', () => {
    expect(quantityProblem('  ', walk)).toBe('请填写数量')
  })

  it('is a number', () => {
    expect(quantityProblem('两公里', walk)).toBe('请填写数字，例如 2 或 1.5')
  })

  it('is above zero', () => {
    expect(quantityProblem('0', walk)).toBe('数量须大于 0')
  })

  it('is not negative', () => {
    expect(quantityProblem('-2', walk)).not.toBe('')
  })

  it('is whole for a counted action', () => {
    expect(quantityProblem('1.5', plate)).toBe('“餐”须为整数')
  })

  it('may have decimals for an amount', () => {
    expect(quantityProblem('2.5', walk)).toBe('')
  })

  it('has at most two decimals', () => {
    expect(quantityProblem('2.555', walk)).toBe('数量最多保留两位小数')
  })

  it('accepts trailing zeros beyond two decimals', () => {
    expect(quantityProblem('2.500', walk)).toBe('')
  })

  it('is at most the daily cap', () => {
    expect(quantityProblem('10.01', walk)).toBe('每天最多 10 公里')
  })

  it('may be exactly the daily cap', () => {
    expect(quantityProblem('3', plate)).toBe('')
  })

  it('reads a Chinese full stop as the decimal point', () => {
    expect(parseQuantity('1。5')).toBe(1.5)
  })

  it('rejects exponent notation', () => {
    expect(parseQuantity('1e1')).toBeNull()
  })
})

describe('a check-in note schoolmates read', () => {
  it('refuses a phone number', () => {
    expect(noteProblem('有事打我电话13812345678')).toBe('同学们会看到这段话，请不要写电话号码、证件号等个人信息')
  })
  it('refuses a phone number typed with spaces', () => {
    expect(noteProblem('电话 138 1234 5678')).not.toBe('')
  })
  it('refuses full-width digits', () => {
    expect(noteProblem('号码１３８１２３４５６７８')).not.toBe('')
  })
  it('takes a step count and a date', () => {
    expect(noteProblem('今天走了 12000 步，2026-11-28')).toBe('')
  })
  it('refuses more than 500 characters', () => {
    expect(noteProblem('碳'.repeat(501))).toBe('想说的话最多 500 字')
  })
})

describe('an empty 同学分享', () => {
  it('asks someone signed out to sign in and be confirmed', () => {
    expect(postsEmptyText(false, null, 3)).toBe('登录并经学校确认为本校学生后，可以看到同学们的分享')
  })
  it('tells a student of another school it is for the school', () => {
    expect(postsEmptyText(true, { school_id: 4, confirmed: true }, 3)).toMatch(/^同学分享只给本校/)
  })
  it('tells an unconfirmed student it is for confirmed students', () => {
    expect(postsEmptyText(true, { school_id: 3, confirmed: false }, 3)).toMatch(/^同学分享只给本校/)
  })
  it('says there is nothing yet to a confirmed student of the school', () => {
    expect(postsEmptyText(true, { school_id: 3, confirmed: true }, 3)).toBe('还没有分享')
  })
})

describe('the days a check-in may be recorded for', () => {
  it('are today and the last seven days, newest first', () => {
    expect(checkinDays('2026-11-28', '2026-11-01', '2026-12-31').map((d) => d.label)).toEqual([
      '今天',
      '昨天',
      '11月26日',
      '11月25日',
      '11月24日',
      '11月23日',
      '11月22日',
      '11月21日',
    ])
  })
  it('start no earlier than the campaign', () => {
    expect(checkinDays('2026-11-28', '2026-11-27', '2026-12-31').map((d) => d.day)).toEqual(['2026-11-28', '2026-11-27'])
  })
  it('end with the campaign', () => {
    expect(checkinDays('2026-11-28', '2026-11-01', '2026-11-26')[0].day).toBe('2026-11-26')
  })
  it('cross a month', () => {
    expect(checkinDays('2026-12-01', '2026-11-01', '2026-12-31')[1]).toEqual({ day: '2026-11-30', label: '昨天' })
  })
})

describe('the class join code', () => {
  it('is compared in capitals without spaces or dashes', () => {
    expect(normalizeJoinCode(' abcd-2345 ')).toBe('ABCD2345')
  })

  it('is required', () => {
    expect(joinCodeProblem('')).toBe('请输入老师给的班级码')
  })

  it('has letters and digits only', () => {
    expect(joinCodeProblem('ABCD_234')).toBe('班级码只含字母和数字')
  })

  it('has at least 4 characters', () => {
    expect(joinCodeProblem('ab1')).toBe('班级码为 4 至 12 位字母或数字')
  })

  it('has at most 12 characters', () => {
    expect(joinCodeProblem('ABCDEFGH23456')).toBe('班级码为 4 至 12 位字母或数字')
  })

  it('accepts a code as the teacher writes it', () => {
    expect(joinCodeProblem('abcd 2345')).toBe('')
  })
})

describe('figures', () => {
  it('never show an exponent for ten', () => {
    expect(plainNumber(10)).toBe('10')
  })

  it('never show an exponent for tiny numbers', () => {
    expect(plainNumber(0.0000001, 4)).toBe('0')
  })

  it('never show an exponent for large numbers', () => {
    expect(plainNumber(1e21 - 1e6, 0)).not.toMatch(/e/i)
  })

  it('group thousands', () => {
    expect(plainNumber(12345.5)).toBe('12,345.5')
  })

  it('drop trailing zeros', () => {
    expect(plainNumber(2.5, 3)).toBe('2.5')
  })

  it('keep the sign of a negative number', () => {
    expect(plainNumber(-1.25)).toBe('-1.25')
  })

  it('show no minus sign for a negative number rounded to zero', () => {
    expect(plainNumber(-0.001)).toBe('0')
  })

  it('show a dash when there is no number', () => {
    expect(plainNumber(null)).toBe('—')
  })

  it('show CO₂ below a kilogram to the gram', () => {
    expect(formatCo2(0.0269)).toBe('0.027 千克')
  })

  it('show CO₂ of ten kilograms without an exponent', () => {
    expect(formatCo2(10)).toBe('10 千克')
  })

  it('show CO₂ above a hundred kilograms to one decimal', () => {
    expect(formatCo2(1234.56)).toBe('1,234.6 千克')
  })

  it('show points to the hundredth', () => {
    expect(formatPoints(7.5)).toBe('7.5 积分')
  })

  it('show ten points as 10', () => {
    expect(formatPoints(10)).toBe('10 积分')
  })

  it('show a share as a percentage', () => {
    expect(formatShare(0.4567)).toBe('45.7%')
  })

  it('estimate CO₂ as quantity × factor', () => {
    expect(estimateCo2(2, { kg_co2e_per_unit: 0.129 })).toBe(0.258)
  })

  it('show the factor per unit', () => {
    expect(factorText({ kg_co2e_per_unit: 0.5122, unit_label: '千瓦时' })).toBe('每千瓦时 0.5122 千克 CO₂e')
  })

  it('say a habit-only action scores points only', () => {
    expect(factorText({ kg_co2e_per_unit: 0, unit_label: '次' })).toBe('不折算减排量，只计积分')
  })

  it('show where the factor comes from', () => {
    expect(sourceText({ publisher: '生态环境部、国家统计局', document: '2023 年电力二氧化碳排放因子', data_year: 2023 })).toBe(
      '生态环境部、国家统计局；2023 年电力二氧化碳排放因子；2023 年数据',
    )
  })

  it('say when a factor has no source', () => {
    expect(sourceText(null)).toBe('来源未注明')
  })
})

const confirmed: StudentSelf = {
  school_id: 1,
  class_name: '三年级一班',
  age_band: '14_17',
  pending_age_band: null,
  nickname: '小林',
  public_board: true,
  confirmed: true,
  guardian_consent: false,
  on_public_boards: true,
}

describe("the student's own record", () => {
  it('without a school asks for a class code', () => {
    expect(studentStatus(null).state).toBe('none')
  })

  it('waiting for the school says so', () => {
    expect(studentStatus({ ...confirmed, confirmed: false, on_public_boards: false }).headline).toBe('等待学校确认')
  })

  it('waiting for the school explains what that means', () => {
    expect(studentStatus({ ...confirmed, confirmed: false, on_public_boards: false }).explanations[0]).toMatch(/班级码/)
  })

  it('with an age band pending names both bands', () => {
    const status = studentStatus({ ...confirmed, age_band: 'under_14', pending_age_band: '14_17', on_public_boards: false })
    expect(status.explanations.join('')).toMatch(/“14 至 17 周岁”待学校确认，确认前仍按“未满 14 周岁”/)
  })

  it('under 14 without consent explains why they are not on public boards', () => {
    const status = studentStatus({ ...confirmed, age_band: 'under_14', on_public_boards: false })
    expect(status.explanations.join('')).toMatch(/监护人同意/)
  })

  it('under 14 with a guardian consenting is told so', () => {
    const status = studentStatus({ ...confirmed, age_band: 'under_14', guardian_consent: true })
    expect(status.explanations).toEqual(['监护人已同意：你可以出现在公开榜单上，本校同学能看到你的打卡分享。监护人可随时撤回。'])
  })

  it('confirmed and public has nothing to explain', () => {
    expect(studentStatus(confirmed).explanations).toEqual([])
  })

  it('a not_confirmed refusal is explained in Chinese', () => {
    expect(refusalExplanation('not_confirmed')).toMatch(/学校还没有确认/)
  })

  it('an unknown refusal leaves the service message', () => {
    expect(refusalExplanation('something_else')).toBe('')
  })
})

const entry = (id: number | string, rank: number, points: number): BoardEntry => ({ id, name: `同学${id}`, rank, points, co2_kg: 1 })

describe('the board', () => {
  it('marks the caller among the rows', () => {
    const { rows } = boardRows({ items: [entry(1, 1, 9), entry(2, 2, 5)], me: entry(2, 2, 5) })
    expect(rows.map((r) => r.mine)).toEqual([false, true])
  })

  it('shows the caller apart when not among the rows', () => {
    const { meApart } = boardRows({ items: [entry(1, 1, 9)], me: entry(7, 4, 1) })
    expect(meApart?.rank).toBe(4)
  })

  it('does not repeat the caller shown among the rows', () => {
    const { meApart } = boardRows({ items: [entry(1, 1, 9)], me: entry(1, 1, 9) })
    expect(meApart).toBeNull()
  })

  it('marks nobody without a caller', () => {
    const { rows } = boardRows({ items: [entry(1, 1, 9)], me: null })
    expect(rows.some((r) => r.mine)).toBe(false)
  })

  it('matches a class by its id string', () => {
    const { rows } = boardRows({ items: [entry('3:三年级一班', 1, 9)], me: entry('3:三年级一班', 1, 9) })
    expect(rows[0].mine).toBe(true)
  })

  it('ranks classes by participation when chosen', () => {
    expect(boardFigure({ ...entry('3:a', 1, 9), participation: 0.5 }, 'class', 'participation')).toBe('参与率 50%')
  })

  it('ranks students by points', () => {
    expect(boardFigure(entry(1, 1, 12.5), 'student', 'per_student')).toBe('12.5 积分')
  })
})

describe('posts', () => {
  it('a student without a nickname is named by the last four digits of their number', () => {
    expect(fallbackName(12)).toBe('同学0012')
  })

  it('are the caller\'s own by nickname', () => {
    expect(isOwnPost({ author: '小树' }, { id: 5, nickname: '小树' })).toBe(true)
  })

  it('are the caller\'s own by the fallback name without a nickname', () => {
    expect(isOwnPost({ author: '同学0005' }, { id: 10005, nickname: null })).toBe(true)
  })

  it('are not the caller\'s when the names differ', () => {
    expect(isOwnPost({ author: '小松' }, { id: 5, nickname: '小树' })).toBe(false)
  })

  it('are nobody\'s own when signed out', () => {
    expect(isOwnPost({ author: '小松' }, null)).toBe(false)
  })
})
