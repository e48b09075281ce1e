import { describe, expect, it } from 'vitest'
import { articleQuery } from '@/lib/knowledge-query'
import { safeUrl, weappHtml } from '@/lib/knowledge-html'
import { dateTimeText, periodText } from '@/lib/publicity-format'
import {
  charCount,
  contactPersonProblem,
  idNumberProblem,
  imageCountProblem,
  imageProblem,
  imagesLeft,
  MAX_IMAGE_BYTES,
  nameProblem,
  objectionBody,
  objectionProblems,
  phoneProblem,
  REASON_MAX,
  reasonProblem,
  residentIdValid,
} from '@/lib/publicity-rules'

const MB = 1024 * 1024

describe('the objection reason (ObjectionIn.reason: 10 to 2000 characters after trimming)', () => {
  it('empty is refused', () => {
    expect(reasonProblem('')).toBe('请填写异议理由')
  })

  it('only spaces is empty', () => {
    expect(reasonProblem('   \n ')).toBe('请填写异议理由')
  })

  it('ten characters are enough', () => {
    expect(reasonProblem('数据与实际情况不相符')).toBe('')
  })

  it('nine characters are too few', () => {
    expect(reasonProblem('数据与实际情况不符')).toMatch(/至少 10 个字/)
  })

  it('2000 characters are fine', () => {
    expect(reasonProblem('碳'.repeat(REASON_MAX))).toBe('')
  })

  it('2001 characters are too long, with the count', () => {
    expect(reasonProblem('碳'.repeat(REASON_MAX + 1))).toBe('异议理由不能超过 2000 个字（现有 2001 个字），请精简')
  })

  it('a rare character outside the basic plane counts once, as the service counts it', () => {
    expect(charCount('𠮷'.repeat(5))).toBe(5)
  })

  it('spaces around do not count', () => {
    expect(reasonProblem(`  ${'碳'.repeat(REASON_MAX)}  `)).toBe('')
  })
})

describe('the phone', () => {
  it('a mainland mobile is fine', () => {
    expect(phoneProblem('13812345678')).toBe('')
  })

  it('an international number in E.164 is fine', () => {
    expect(phoneProblem('+85291234567')).toBe('')
  })

  it('accepts a phone typed with spaces, as an autofill writes it', () => {
    expect(phoneProblem('138 1234 5678')).toBe('')
  })

  it('11 digits that are not a mobile number (a landline with its area code) are refused', () => {
    expect(phoneProblem('04318888888')).toMatch(/^这不是手机号码/)
  })

  it('11 digits starting 12 are not a mobile number', () => {
    expect(phoneProblem('12812345678')).toMatch(/^这不是手机号码/)
  })

  it('too short is refused', () => {
    expect(phoneProblem('1381234567')).toMatch(/^请填写 11 位/)
  })

  it('missing is asked for', () => {
    expect(phoneProblem(' ')).toBe('请填写手机号码，用于接收答复')
  })
})

describe('names and documents', () => {
  it('a Chinese name is fine', () => {
    expect(nameProblem('张三')).toBe('')
  })

  it('a minority name with its dot is fine', () => {
    expect(nameProblem('买买提·艾力')).toBe('')
  })

  it('one Han character is too short', () => {
    expect(nameProblem('张')).toMatch(/2–20 个汉字/)
  })

  it('digits are not a name', () => {
    expect(nameProblem('张3')).toBe('请填写与证件一致的真实姓名（汉字，或外文字母）')
  })

  it('an organisation needs its contact person', () => {
    expect(contactPersonProblem('长春市某某协会', '')).toBe('单位提出异议须填写联系人')
  })

  it('a valid resident ID passes its check character', () => {
    expect(residentIdValid('11010519491231002X')).toBe(true)
  })

  it('a wrong check character is refused', () => {
    expect(idNumberProblem('110105194912310021')).toMatch(/居民身份证号码无效/)
  })

  it('an impossible birth date is refused', () => {
    expect(residentIdValid('110105194902300026')).toBe(false)
  })

  it('the ID number is optional', () => {
    expect(idNumberProblem('')).toBe('')
  })

  it('a passport number is checked as a passport, not as a resident ID', () => {
    expect(idNumberProblem('E12345678', 'passport')).toBe('')
  })

  it('a Hong Kong or Macao permit number of the wrong shape says what it should be', () => {
    expect(idNumberProblem('12345678', 'hk_macao_permit')).toMatch(/H 或 M 加 8 位数字/)
  })
})

describe('evidence images (POST /uploads: JPEG, PNG, GIF or WebP, at most 5 MB; at most 9)', () => {
  it('a small PNG is fine', () => {
    expect(imageProblem({ path: 'blob:x', size: 2048, type: 'image/png' })).toBe('')
  })

  it('exactly 5 MB is fine', () => {
    expect(imageProblem({ path: 'a.jpg', size: MAX_IMAGE_BYTES })).toBe('')
  })

  it('over 5 MB is refused before sending, in Chinese, with its size', () => {
    expect(imageProblem({ path: 'a.jpg', size: 6.2 * MB })).toBe('图片不能超过 5 MB（这张约 6.2 MB），请压缩后重新选择')
  })

  it('a type the service does not keep (HEIC) is refused', () => {
    expect(imageProblem({ path: 'blob:x', size: 2048, type: 'image/heic' })).toBe('仅支持 JPEG、PNG、GIF 或 WebP 图片')
  })

  it('weapp gives no type: the extension tells it', () => {
    expect(imageProblem({ path: 'wxfile://tmp/a.bmp', size: 2048 })).toBe('仅支持 JPEG、PNG、GIF 或 WebP 图片')
  })

  it('an empty file is refused', () => {
    expect(imageProblem({ path: 'a.png', size: 0 })).toBe('图片文件为空，请重新选择')
  })

  it('a PNG the browser cannot decode (damaged) is refused by name, not dropped', () => {
    expect(imageProblem({ path: 'blob:x', size: 19, type: 'image/png', unreadable: true })).toBe('这张图片无法读取（文件可能已损坏），请换一张')
  })

  it('nine pictures are the most', () => {
    expect([imageCountProblem(8, 1), imageCountProblem(8, 2)]).toEqual(['', '证明图片最多 9 张'])
  })

  it('the chooser offers only what is left', () => {
    expect([imagesLeft(0), imagesLeft(7), imagesLeft(9)]).toEqual([9, 2, 0])
  })
})

describe('names and landlines as people type them (the objection form)', () => {
  it('a landline typed with spaces is told apart from a mobile', () => {
    expect(phoneProblem('0431 8888 8888')).toBe('这不是手机号码：请填写 11 位手机号码（以 13 至 19 开头），不能填写座机号码')
  })

  it('a landline typed with hyphens too', () => {
    expect(phoneProblem('0431-8888-8888')).toMatch(/不能填写座机号码$/)
  })

  it('a Chinese name typed with a space is accepted', () => {
    expect(nameProblem('张 三')).toBe('')
  })

  it('and is sent without it, as the service takes it', () => {
    expect(objectionBody({ zoneId: 3, name: '张 三', phone: '13812345678', organisation: '', contactPerson: '', idType: 'resident_id', idNumber: '', reason: '理由'.repeat(6) }, []).name).toBe('张三')
  })

  it('the organisation’s contact person too', () => {
    expect(
      objectionBody({ zoneId: 3, name: '张三', phone: '13812345678', organisation: '某单位', contactPerson: '李　四', idType: 'resident_id', idNumber: '', reason: '理由'.repeat(6) }, []).contact_person,
    ).toBe('李四')
  })
})

describe('the whole objection form', () => {
  const form = {
    zoneId: 3,
    name: '张三',
    phone: '13812345678',
    organisation: '',
    contactPerson: '',
    idType: 'resident_id' as const,
    idNumber: '',
    reason: '  该项目公示的年度能耗数据与实际运行情况不符，请核实。  ',
  }

  it('a complete form has no problem', () => {
    expect(objectionProblems(form)).toEqual({})
  })

  it('problems are named by the service field names', () => {
    expect(Object.keys(objectionProblems({ ...form, zoneId: null, reason: '', phone: '04318888888' })).sort()).toEqual([
      'phone',
      'reason',
      'zone_id',
    ])
  })

  it('the body is trimmed and carries the evidence addresses', () => {
    expect(objectionBody(form, ['/media/uploads/a.png'])).toEqual({
      zone_id: 3,
      name: '张三',
      phone: '13812345678',
      reason: '该项目公示的年度能耗数据与实际运行情况不符，请核实。',
      evidence_urls: ['/media/uploads/a.png'],
    })
  })

  it('another document goes with its own type, normalised', () => {
    expect(objectionBody({ ...form, idType: 'hk_macao_permit', idNumber: 'h 1234-5678' }, [])).toMatchObject({
      id_type: 'hk_macao_permit',
      id_number: 'H12345678',
    })
  })

  it('a resident ID goes with its type, upper-cased', () => {
    expect(objectionBody({ ...form, idNumber: '11010519491231002x' }, [])).toMatchObject({
      id_type: 'resident_id',
      id_number: '11010519491231002X',
    })
  })
})

describe('publicity dates', () => {
  it('a window ending at midnight closes the day before', () => {
    expect(periodText('2026-11-20T00:00:00+08:00', '2026-11-27T00:00:00+08:00')).toBe('2026年11月20日至11月26日')
  })

  it('across a year both years are written', () => {
    expect(periodText('2026-12-28T00:00:00+08:00', '2027-01-05T00:00:00+08:00')).toBe('2026年12月28日至2027年1月4日')
  })

  it('a moment to the minute', () => {
    expect(dateTimeText('2026-11-25T16:05:09+08:00')).toBe('2026年11月25日 16:05')
  })
})

describe('knowledge', () => {
  it('the search is trimmed and only chosen filters are sent', () => {
    expect(articleQuery({ q: ' 光伏 ', tag: '' }, 2)).toEqual({ page: 2, per_page: 10, q: '光伏' })
  })

  it('the search is cut to the service limit of 50 characters', () => {
    expect(String(articleQuery({ q: '碳'.repeat(60) }, 1).q).length).toBe(50)
  })

  it('javascript: and data: links are not kept', () => {
    expect([safeUrl('javascript:alert(1)'), safeUrl(' DATA:text/html,x'), safeUrl('https://a.cn/x'), safeUrl('/media/a.png')]).toEqual([
      false,
      false,
      true,
      true,
    ])
  })

  it('weapp images are fitted to the screen', () => {
    expect(weappHtml('<p><img src="a.png"></p>')).toContain('<img style="max-width:100%')
  })
})
