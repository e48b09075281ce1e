import { describe, expect, it } from 'vitest'
import {
  bookingBody,
  bookingRefusal,
  bookingWindow,
  bookLinkProblem,
  canAddVisitor,
  cancelDeadline,
  canWithdraw,
  checkCharacter,
  checkinCodeProblem,
  checkinOutcome,
  codeFromScan,
  dayLabel,
  documentProblem,
  emptyGroup,
  emptyVisitor,
  groupMembers,
  groupProblems,
  headcountProblem,
  kindAction,
  kindsOffered,
  localToday,
  looksLikeLandline,
  membersProblems,
  momentText,
  nameProblem,
  normaliseDocument,
  normaliseName,
  normalisePhone,
  phoneProblem,
  releaseRule,
  residentIdValid,
  type Slot,
  slotAction,
  slotRefusal,
  slotState,
  slotsByDay,
  slotVerb,
  visitorCountProblem,
  visitorsProblems,
  type WaitlistEntry,
  waitlistState,
  week,
  withdrawRefusal,
} from '@/lib/visits'

// The example of GB 11643-1999 (check character X) and the demo data's visitor (check digit 5).
const WITH_X = '11010519491231002X'
const WITH_DIGIT = '220102199003071235'

const visitor = (over: Partial<ReturnType<typeof emptyVisitor>> = {}) => ({
  ...emptyVisitor(),
  name: '张三',
  id_number: WITH_DIGIT,
  phone: '13812345678',
  ...over,
})

describe('the resident ID checksum (GB 11643)', () => {
  it('accepts a valid number', () => {
    expect(residentIdValid(WITH_DIGIT)).toBe(true)
  })

  it('accepts a valid number whose check character is X', () => {
    expect(residentIdValid(WITH_X)).toBe(true)
  })

  it('accepts the X typed in lower case', () => {
    expect(residentIdValid(WITH_X.toLowerCase())).toBe(true)
  })

  it('computes X as the check character of the standard example', () => {
    expect(checkCharacter(WITH_X.slice(0, 17))).toBe('X')
  })

  it('refuses a wrong check digit', () => {
    expect(residentIdValid('220102199003071236')).toBe(false)
  })

  it('refuses a digit where the check character must be X', () => {
    expect(residentIdValid('110105194912310020')).toBe(false)
  })

  it('refuses a mistyped digit in the body (the checksum catches it)', () => {
    expect(residentIdValid('220102199003071335')).toBe(false)
  })

  it('refuses an impossible birth date even with a matching check character', () => {
    const body = '22010219900230123'
    expect(residentIdValid(body + checkCharacter(body))).toBe(false)
  })

  it('refuses a birth date in the future', () => {
    const body = '22010230000101123'
    expect(residentIdValid(body + checkCharacter(body), new Date('2026-11-25T00:00:00Z'))).toBe(false)
  })

  it('refuses 17 or 19 characters', () => {
    expect([residentIdValid(WITH_DIGIT.slice(0, 17)), residentIdValid(`${WITH_DIGIT}1`)]).toEqual([false, false])
  })

  it('says what is wrong in Chinese, next to the field', () => {
    expect(documentProblem('resident_id', '220102199003071236')).toBe('居民身份证号码无效（请核对 18 位号码及末位校验码）')
  })
})

describe('the other documents', () => {
  it('take a Hong Kong permit H + 8 digits', () => {
    expect(documentProblem('hk_macao_permit', 'H12345678')).toBe('')
  })

  it('refuse a Hong Kong permit without its letter', () => {
    expect(documentProblem('hk_macao_permit', '12345678')).not.toBe('')
  })

  it('take a Taiwan permit of 8 digits', () => {
    expect(documentProblem('taiwan_permit', '12345678')).toBe('')
  })

  it('take a passport with letters and digits (spaces dropped)', () => {
    expect(documentProblem('passport', 'e 1234 5678')).toBe('')
  })

  it('refuse a passport of letters only', () => {
    expect(documentProblem('passport', 'ABCDEFG')).not.toBe('')
  })

  it('take the 2017 foreign permanent resident card', () => {
    expect(documentProblem('foreign_permanent_resident', 'USA110012345678')).toBe('')
  })

  it('check the 2023 foreign permanent resident card like a resident ID', () => {
    const body = '93310019900101123'
    const other = checkCharacter(body) === '0' ? '1' : '0'
    expect([documentProblem('foreign_permanent_resident', body + checkCharacter(body)), documentProblem('foreign_permanent_resident', body + other) !== '']).toEqual(['', true])
  })

  it('ask for a number when none is typed', () => {
    expect(documentProblem('passport', '  ')).toBe('请填写证件号码')
  })
})

describe('the mobile phone rule', () => {
  it('accepts a number typed with spaces and the country code', () => {
    expect(phoneProblem('+86 138 1234 5678')).toBe('')
  })

  it('accepts a number typed in full-width digits', () => {
    expect(phoneProblem('１３８１２３４５６７８')).toBe('')
  })

  it('refuses +86 with a mobile a digit short', () => {
    expect(phoneProblem('+86 139 0000 444')).not.toBe('')
  })

  it('refuses digits of another script', () => {
    expect(phoneProblem('13٨١٢٣٤٥٦٧٨')).not.toBe('')
  })

  it('accepts a mainland mobile number', () => {
    expect(phoneProblem('13812345678')).toBe('')
  })

  it('accepts an international number with its country code', () => {
    expect(phoneProblem('+85291234567')).toBe('')
  })

  it('refuses 11 digits that are a landline, not a mobile', () => {
    expect(phoneProblem('04318888000')).toBe('请填写手机号码（11 位，以 13–19 开头），不能填写座机号码')
  })

  it('refuses 11 digits starting 12', () => {
    expect(phoneProblem('12812345678')).not.toBe('')
  })

  it('refuses 10 digits', () => {
    expect(phoneProblem('1381234567')).not.toBe('')
  })

  it('asks for a number when none is typed', () => {
    expect(phoneProblem('')).toBe('请填写手机号码')
  })
})

describe('names', () => {
  it('take a Chinese name', () => {
    expect(nameProblem('王小明')).toBe('')
  })

  it('take a minority name with the middle dot', () => {
    expect(nameProblem('阿依古丽·买买提')).toBe('')
  })

  it('take a Latin name', () => {
    expect(nameProblem("Mary O'Neil")).toBe('')
  })

  it('refuse one Chinese character', () => {
    expect(nameProblem('王')).not.toBe('')
  })

  it('refuse digits', () => {
    expect(nameProblem('张3')).not.toBe('')
  })
})

describe('the number of visitors', () => {
  it('takes one to five', () => {
    expect([1, 2, 3, 4, 5].map(visitorCountProblem)).toEqual(['', '', '', '', ''])
  })

  it('refuses a sixth', () => {
    expect(visitorCountProblem(6)).toBe('每次预约最多 5 人')
  })

  it('refuses none', () => {
    expect(visitorCountProblem(0)).toBe('请至少填写 1 位参观人')
  })

  it('offers no sixth visitor to add', () => {
    expect([canAddVisitor(4), canAddVisitor(5)]).toEqual([true, false])
  })

  it('marks six visitors on the list, not on a field', () => {
    const six = Array.from({ length: 6 }, () => visitor())
    expect(visitorsProblems(six).visitors).toBe('每次预约最多 5 人')
  })
})

describe('the booking form', () => {
  it('has nothing to say about a good visitor', () => {
    expect(visitorsProblems([visitor()])).toEqual({})
  })

  it('puts a wrong checksum on that visitor’s number, keyed as the service keys it', () => {
    expect(Object.keys(visitorsProblems([visitor(), visitor({ id_number: '220102199003071236' })]))).toEqual(['visitors.1.id_number'])
  })

  it('refuses the same document twice in one booking', () => {
    expect(visitorsProblems([visitor(), visitor({ id_number: WITH_DIGIT.toLowerCase() })])['visitors.1.id_number']).toBe('同一预约中证件不能重复')
  })

  it('sends trimmed values and normalised numbers', () => {
    const body = bookingBody(7, 3, 'individual', [visitor({ name: ' 李华 ', id_number: '11010519491231002x ' })], emptyGroup())
    expect(body).toEqual({ slot_id: 7, base_id: 3, visitors: [{ name: '李华', id_type: 'resident_id', id_number: WITH_X, phone: '13812345678' }] })
  })

  it('sends a group with its headcount as a number', () => {
    const group = { organisation: '第一实验小学', leader_name: '李老师', leader_phone: '13912345678', headcount: '12' }
    expect(bookingBody(7, 3, 'group', [], group)).toEqual({
      slot_id: 7,
      base_id: 3,
      group: { organisation: '第一实验小学', leader_name: '李老师', leader_phone: '13912345678', headcount: 12 },
    })
  })
})

describe('the group headcount', () => {
  it('takes a whole number within the slot’s group places', () => {
    expect(headcountProblem('60', 60)).toBe('')
  })

  it('refuses more than the slot’s group places', () => {
    expect(headcountProblem('61', 60)).toBe('该时段团体最多 60 人')
  })

  it('refuses more than 500 whatever the slot', () => {
    expect(headcountProblem('501', 1000)).toBe('该时段团体最多 500 人')
  })

  it('refuses zero', () => {
    expect(headcountProblem('0')).toBe('团体人数至少 1 人')
  })

  it('refuses a fraction or words', () => {
    expect([headcountProblem('2.5'), headcountProblem('十')]).toEqual(['请填写团体人数（整数）', '请填写团体人数（整数）'])
  })

  it('checks every group field, keyed as the service keys them', () => {
    expect(Object.keys(groupProblems(emptyGroup())).sort()).toEqual(['group.headcount', 'group.leader_name', 'group.leader_phone', 'group.organisation'])
  })

  it('refuses a landline as the leader’s phone', () => {
    const group = { organisation: '第一实验小学', leader_name: '李老师', leader_phone: '04318888000', headcount: '12' }
    expect(Object.keys(groupProblems(group))).toEqual(['group.leader_phone'])
  })
})

const slot = (over: Partial<Slot> = {}): Slot => ({
  id: 1,
  visit_date: '2026-11-26',
  starts_at: '2026-11-26T09:00:00+08:00',
  ends_at: '2026-11-26T10:30:00+08:00',
  capacity: 30,
  remaining: 12,
  group_capacity: 60,
  group_remaining: 60,
  status: 'open',
  status_label: '可预约',
  bookable: true,
  closed_reason: null,
  opens_at: '2026-11-19T08:00:00+08:00',
  ...over,
})

describe('the calendar', () => {
  it('starts today where the bases are (UTC+8), not in the device’s zone', () => {
    expect(localToday(Date.parse('2026-11-25T16:30:00Z'))).toBe('2026-11-26')
  })

  it('shows seven days across a month end', () => {
    expect(week('2026-11-28')).toEqual(['2026-11-28', '2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'])
  })

  it('names the day in Chinese with its weekday', () => {
    expect(dayLabel('2026-11-26')).toBe('11月26日 周四')
  })

  it('groups slots by day in time order', () => {
    const later = slot({ id: 2, starts_at: '2026-11-26T14:00:00+08:00' })
    expect(slotsByDay(['2026-11-26', '2026-11-27'], [later, slot()]).map((d) => d.slots.map((s) => s.id))).toEqual([[1, 2], []])
  })

  it('names which visitor is already booked that day', () => {
    expect(bookingRefusal('person_already_booked', { visitor: 1 })).toBe('参观人 2 的证件当天在本基地不可预约（每人每天限预约一次）')
  })

  it('names which visitor is already waiting for the slot', () => {
    expect(bookingRefusal('person_already_waiting', { visitor: 0 })).toBe('参观人 1 已在本时段候补，无需重复候补')
  })

  it('leaves a refusal without a visitor position to the service’s message', () => {
    expect(bookingRefusal('person_already_waiting', {})).toBe('')
  })

  it('names the reason a day is closed, slots or not', () => {
    const days = slotsByDay(['2026-11-26', '2026-11-27'], [slot()], [{ date: '2026-11-27', reason: '暴雪天气' }])
    expect(days.map((d) => d.closedReason)).toEqual([null, '暴雪天气'])
  })

  it('shows the places left of an open slot', () => {
    expect(slotState(slot())).toBe('余 12 个名额，团体余 60')
  })

  it('offers the waitlist for a full slot', () => {
    expect(slotAction(slot({ status: 'full', bookable: false, remaining: 0, group_remaining: 0 }))).toBe('waitlist')
  })

  it('offers nothing for a slot not yet released, and says when it opens', () => {
    const s = slot({ status: 'not_released', bookable: false })
    expect([slotAction(s), slotState(s)]).toEqual(['none', '11月19日 08:00 开放预约'])
  })
})

describe('the door', () => {
  it('reads a plain QR code', () => {
    expect(codeFromScan({ result: ' 12.AbCd_-x ' })).toBe('12.AbCd_-x')
  })

  it('reads the code from a mini-program code’s scene', () => {
    expect(codeFromScan({ result: '', path: 'pages/checkin/index?scene=12.AbC%3D' })).toBe('12.AbC=')
  })

  it('refuses a typed code of the wrong shape before sending', () => {
    expect(checkinCodeProblem('hello')).toBe('核验码格式不正确，请核对后重新输入')
  })

  it('takes a code of the service’s shape', () => {
    expect(checkinCodeProblem('12.Qm9va2luZ1NpZ25hdHVyZQ')).toBe('')
  })

  it('says another base’s booking in the words of the door', () => {
    expect(checkinOutcome(403, 'not_this_base')).toBe('不是本基地的预约')
  })

  it('says a second check-in was already made', () => {
    expect(checkinOutcome(409, 'already_checked_in')).toBe('该预约已核验入馆，请勿重复核验')
  })
})

describe("a group's name list (PUT /bookings/{id}/members)", () => {
  it('one name per line, blank lines and spaces dropped, the minors first', () => {
    expect(groupMembers(' 王小明\n\n李小红 \r\n', '李老师')).toEqual([
      { name: '王小明', minor: true },
      { name: '李小红', minor: true },
      { name: '李老师', minor: false },
    ])
  })

  it('a list of the group’s size with an adult for ten minors is fine', () => {
    const members = groupMembers(Array.from({ length: 10 }, (_, i) => `学生${'甲乙丙丁戊己庚辛壬癸'[i]}`).join('\n'), '李老师')
    expect(membersProblems(members, 11)).toEqual({})
  })

  it('a list shorter than the group says both counts', () => {
    expect(membersProblems(groupMembers('王小明', '李老师'), 3).members).toBe('名单共 2 人，须与团体人数 3 人一致')
  })

  it('eleven minors need a second adult', () => {
    const members = groupMembers(Array.from({ length: 11 }, (_, i) => `学生${'甲乙丙丁戊己庚辛壬癸子'[i]}`).join('\n'), '李老师')
    expect(membersProblems(members, 12).adults).toBe('每 10 名未成年人须至少有 1 名成年人带队（11 名未成年人至少需 2 名成年人）')
  })

  it('a name that is no name is named under its box', () => {
    expect(membersProblems(groupMembers('王小明\n123', ''), 2).minors).toMatch(/^“123”：/)
  })
})

describe('phones and documents as the service keeps them', () => {
  it('sends a mainland mobile typed with +86 and spaces as its 11 digits', () => {
    expect(normalisePhone('+86 138-1234-5678')).toBe('13812345678')
  })

  it('sends an international number with a 00 prefix as +', () => {
    expect(normalisePhone('00852 9123 4567')).toBe('+85291234567')
  })

  it('sends a document typed in full-width characters in ASCII', () => {
    expect(normaliseDocument('２２０１０２１９９００３０７１２３ｘ')).toBe('22010219900307123X')
  })
})

describe('names typed with spaces (validate_person_name refuses spaces between Han characters)', () => {
  it('a Chinese name with a space is taken without it', () => {
    expect(normaliseName('张 三')).toBe('张三')
  })

  it('a full-width space too', () => {
    expect(normaliseName('张　三')).toBe('张三')
  })

  it('spaces around a minority name’s dot too', () => {
    expect(normaliseName('阿依古丽 · 买买提')).toBe('阿依古丽·买买提')
  })

  it('a Latin name keeps its spaces', () => {
    expect(normaliseName(' María José García ')).toBe('María José García')
  })

  it('so 张 三 passes the form’s check', () => {
    expect(nameProblem('张 三')).toBe('')
  })

  it('and is booked as 张三', () => {
    const body = bookingBody(1, 2, 'individual', [visitor({ name: '张 三' })], emptyGroup()) as { visitors: { name: string }[] }
    expect(body.visitors[0].name).toBe('张三')
  })

  it('a group leader too', () => {
    const body = bookingBody(1, 2, 'group', [], { organisation: '某某小学', leader_name: '李 老师', leader_phone: '13812345678', headcount: '20' }) as {
      group: { leader_name: string }
    }
    expect(body.group.leader_name).toBe('李老师')
  })

  it('and a name on a group’s list', () => {
    expect(groupMembers('王 小明', '')[0].name).toBe('王小明')
  })
})

describe('landlines typed as people type them (the service drops spaces and hyphens, then refuses a landline)', () => {
  it('0431 8888 8888 gets the landline message', () => {
    expect(phoneProblem('0431 8888 8888')).toBe('请填写手机号码（11 位，以 13–19 开头），不能填写座机号码')
  })

  it('0755-8888-8888 too', () => {
    expect(phoneProblem('0755-8888-8888')).toBe('请填写手机号码（11 位，以 13–19 开头），不能填写座机号码')
  })

  it('a local number without its area code reads as a landline', () => {
    expect(looksLikeLandline(normalisePhone('8888 8888'))).toBe(true)
  })

  it('a landline written with +86 reads as one', () => {
    expect(looksLikeLandline(normalisePhone('+86 431 8888 8888'))).toBe(true)
  })

  it('a mobile typed with spaces is no landline', () => {
    expect(looksLikeLandline(normalisePhone('138 1234 5678'))).toBe(false)
  })

  it('ten digits starting 1 are a mistyped mobile, not a landline', () => {
    expect(looksLikeLandline('1381234567')).toBe(false)
  })
})

describe('the booking window (a base lists every day up to the last it has released or releases today)', () => {
  const profile = { booking_days_ahead: 7, release_hour: 8 }

  it('lists today and the next seven days: the seventh is released today', () => {
    expect(bookingWindow('2026-11-21', profile)).toHaveLength(8)
  })

  it('ends on the window’s last day', () => {
    expect(bookingWindow('2026-11-21', profile).at(-1)).toBe('2026-11-28')
  })

  it('follows the base’s own window', () => {
    expect(bookingWindow('2026-11-21', { booking_days_ahead: 14, release_hour: 8 }).at(-1)).toBe('2026-12-05')
  })

  it('a base without a profile has the service’s default (7 days)', () => {
    expect(bookingWindow('2026-11-21', null).at(-1)).toBe('2026-11-28')
  })

  it('says the release rule', () => {
    expect(releaseRule({ booking_days_ahead: 7, release_hour: 8 })).toBe('每天 08:00 开放 7 天后的参观预约。')
  })

  it('a slot released later today says 今天 08:00', () => {
    const s = slot({ visit_date: '2026-11-28', status: 'not_released', bookable: false, opens_at: '2026-11-21T08:00:00+08:00' })
    expect(slotState(s, '2026-11-21')).toBe('今天 08:00 开放预约')
  })
})

describe('a booking link checked before the form', () => {
  it('a moment is written as the app writes dates', () => {
    expect(momentText('2026-11-28T08:00:00+08:00')).toBe('11月28日 08:00')
  })

  it('a slot not yet released says when it opens, before anything is filled in', () => {
    const s = slot({ status: 'not_released', bookable: false, opens_at: '2026-11-28T08:00:00+08:00' })
    expect(slotRefusal(s, '2026-11-21')).toBe('该时段尚未开放预约，将于 11月28日 08:00 开放，届时再来预约。')
  })

  it('a slot released later today says 将于今天 08:00', () => {
    const s = slot({ status: 'not_released', bookable: false, opens_at: '2026-11-21T08:00:00+08:00' })
    expect(slotRefusal(s, '2026-11-21')).toBe('该时段尚未开放预约，将于今天 08:00 开放，届时再来预约。')
  })

  it('a closed slot says why', () => {
    const s = slot({ status: 'closed', bookable: false, closed_reason: '设备检修' })
    expect(slotRefusal(s)).toBe('该时段闭馆（设备检修），不能预约。')
  })

  it('a slot that started says so', () => {
    expect(slotRefusal(slot({ status: 'started', bookable: false }))).toBe('该时段的参观已经开始，不能再预约。')
  })

  it('an open slot shows the form', () => {
    expect(slotRefusal(slot())).toBe('')
  })

  it('a full slot shows the waitlist form', () => {
    expect(slotRefusal(slot({ status: 'full', bookable: false, remaining: 0, group_remaining: 0 }))).toBe('')
  })

  it('the service’s slot_not_released is worded with 11月28日 08:00, not 2026-11-28 08:00', () => {
    expect(bookingRefusal('slot_not_released', { opens_at: '2026-11-28T08:00:00+08:00' })).toBe('该时段尚未开放预约，将于 11月28日 08:00 开放')
  })

  it('a suspension’s end date too', () => {
    expect(bookingRefusal('booking_suspended', { suspended_until: '2026-12-28' })).toBe('因多次预约未到，预约功能暂停至 12月28日')
  })

  it('another refusal keeps the service’s own sentence', () => {
    expect(bookingRefusal('slot_full', {})).toBe('')
  })

  it('a link without its date is said in words', () => {
    expect(bookLinkProblem(3, 12, undefined)).toBe('预约链接不完整，请回到基地页面重新选择时段。')
  })

  it('a link naming no base is said in words', () => {
    expect(bookLinkProblem(null, 12, '2026-11-28')).toBe('预约链接有误，请从教育基地页面选择时段。')
  })

  it('a complete link is fine', () => {
    expect(bookLinkProblem(3, 12, '2026-11-28')).toBe('')
  })
})

describe('a slot whose individual places are taken (individual_full: individuals wait, groups book)', () => {
  const s = slot({ status: 'individual_full', status_label: '个人已约满，可候补；团体可约', bookable: true, remaining: 0, group_remaining: 40 })

  it('says an individual may wait and the group places left', () => {
    expect(slotState(s)).toBe('个人已约满，可候补 · 团体余 40')
  })

  it('offers both: an individual waits, a group books', () => {
    expect(slotAction(s)).toBe('group_or_wait')
  })

  it('is named with both in its spoken label', () => {
    expect(slotVerb(s)).toBe('，个人候补或团体预约')
  })

  it('an individual gets the waitlist form', () => {
    expect(kindAction(s, 'individual')).toBe('waitlist')
  })

  it('a group gets the booking form', () => {
    expect(kindAction(s, 'group')).toBe('book')
  })
})

describe('a slot without individual places (groups_only)', () => {
  const s = slot({ status: 'groups_only', status_label: '仅接受团体预约', bookable: true, capacity: 0, remaining: 0, group_remaining: 60 })

  it('says groups only and the places left', () => {
    expect(slotState(s)).toBe('仅接受团体预约，余 60 个名额')
  })

  it('is named as a group booking in its spoken label', () => {
    expect(slotVerb(s)).toBe('，团体预约')
  })

  it('offers only the group form', () => {
    expect(kindsOffered(s)).toEqual(['group'])
  })

  it('offers an individual nothing', () => {
    expect(kindAction(s, 'individual')).toBe('none')
  })

  it('a group books', () => {
    expect(kindAction(s, 'group')).toBe('book')
  })
})

describe('the form for each kind of request on other slots', () => {
  it('an open slot offers individuals and groups', () => {
    expect(kindsOffered(slot())).toEqual(['individual', 'group'])
  })

  it('a slot without group places offers no group form', () => {
    expect(kindsOffered(slot({ group_capacity: 0, group_remaining: 0 }))).toEqual(['individual'])
  })

  it('an open slot books an individual', () => {
    expect(kindAction(slot(), 'individual')).toBe('book')
  })

  it('a group waits where the group places are taken', () => {
    expect(kindAction(slot({ group_remaining: 0 }), 'group')).toBe('waitlist')
  })

  it('a full slot has a group wait too', () => {
    expect(kindAction(slot({ status: 'full', bookable: false, remaining: 0, group_remaining: 0 }), 'group')).toBe('waitlist')
  })

  it('a slot not yet released offers nothing', () => {
    expect(kindAction(slot({ status: 'not_released', bookable: false }), 'individual')).toBe('none')
  })
})

describe('until when a booking may be cancelled (cancellable_until)', () => {
  const until = '2026-11-30T08:00:00+08:00'
  const before = Date.parse('2026-11-28T10:00:00+08:00')
  const after = Date.parse('2026-11-30T08:30:00+08:00')

  it('says the moment in the app’s date words', () => {
    expect(cancelDeadline(until, before).text).toBe('11月30日 08:00 前可以取消。')
  })

  it('allows cancelling before it', () => {
    expect(cancelDeadline(until, before).open).toBe(true)
  })

  it('says 今天 on its own day', () => {
    expect(cancelDeadline(until, Date.parse('2026-11-30T07:00:00+08:00')).text).toBe('今天 08:00 前可以取消。')
  })

  it('allows no cancelling once it has passed', () => {
    expect(cancelDeadline(until, after).open).toBe(false)
  })

  it('says why once it has passed', () => {
    expect(cancelDeadline(until, after).text).toBe('取消截止时间（今天 08:00）已过，不能再取消这次预约。')
  })

  it('an older service without it keeps the rule in words', () => {
    expect(cancelDeadline(undefined, before)).toEqual({ open: true, text: '参观开始前的截止时间之前可以取消。' })
  })
})

describe('my waitlist (GET /me/waitlist, DELETE /waitlist/{id})', () => {
  const entry = (over: Partial<WaitlistEntry> = {}): WaitlistEntry => ({
    id: 5,
    slot_id: 1,
    slot: { id: 1, starts_at: '2026-11-26T09:00:00+08:00', ends_at: '2026-11-26T10:30:00+08:00' },
    visit_date: '2026-11-26',
    base_id: 2,
    base_name: '长春市低碳科普馆',
    headcount: 1,
    status: 'waiting',
    status_label: '候补中',
    position: 2,
    booking_id: null,
    created_at: '2026-11-20T10:00:00+08:00',
    ...over,
  })

  it('a waiting request says its place in the queue', () => {
    expect(waitlistState(entry())).toBe('候补中 · 排在第 2 位 · 1 人')
  })

  it('a booked one says its state without a place', () => {
    expect(waitlistState(entry({ status: 'promoted', status_label: '候补成功，已预约', position: null, booking_id: 9, headcount: 2 }))).toBe('候补成功，已预约 · 2 人')
  })

  it('a waiting request can be withdrawn', () => {
    expect(canWithdraw(entry())).toBe(true)
  })

  it('a booked one cannot', () => {
    expect(canWithdraw(entry({ status: 'promoted' }))).toBe(false)
  })

  it('409 not_waiting for a booked request says what to do instead', () => {
    expect(withdrawRefusal('not_waiting', { status: 'promoted' })).toBe('候补已成功，已为您预约，不能再取消候补。如不能前往，请打开这次预约并取消预约。')
  })

  it('409 not_waiting for a request that failed says there is nothing to withdraw', () => {
    expect(withdrawRefusal('not_waiting', { status: 'failed' })).toBe('这次候补未成功，已不在候补名单中，无需取消。')
  })

  it('another refusal keeps the service’s own sentence', () => {
    expect(withdrawRefusal('not_found', {})).toBe('')
  })
})

describe('a resident ID whose birth date cannot be', () => {
  it('says the birth date, not the check character, for a day that does not exist', () => {
    const body = '22010219990229006'
    expect(documentProblem('resident_id', body + checkCharacter(body))).toBe('居民身份证号码无效（第 7 至 14 位的出生日期不存在）')
  })
  it('still says the check character when only it is wrong', () => {
    expect(documentProblem('resident_id', '220102199003071236')).toBe('居民身份证号码无效（请核对 18 位号码及末位校验码）')
  })
})
