import { type APIRequestContext, type Page, expect, test } from '@playwright/test'
import { addDays, checkCharacter, dayLabel, localToday } from '../../src/lib/visits'
import { acceptPolicyByApi, checkPage, openTab, pageTitle, signIn } from './helpers'

// The visits journeys (issue 24) against the real service with its demo data: two education bases
// with slots from tomorrow on; the staff API (demo admin) adds today's slots and grants the door role.

const MP = '/api/mp/v1'
const ADMIN = '/api/admin/v1'

let serial = 0
/** A fresh name for the development sign-in: every journey is a new person. */
const person = (prefix: string) => `${prefix}${Date.now() % 1e8}${serial++}`

/** A valid resident ID nobody else in this run uses (one person may book a base once a day). */
function residentId(): string {
  const day = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')
  const month = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0')
  const body = `2201021985${month}${day}${seq}`
  return body + checkCharacter(body)
}

/** The signed-in person's token, as the page keeps it (Taro's h5 storage wraps it as {data}). */
async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('lowcarbon.token') ?? ''
    try {
      const value = JSON.parse(raw)
      return value && typeof value === 'object' ? value.data : value
    } catch {
      return raw
    }
  })
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })

/** Open the first base on the 参观 tab, then its first slot from tomorrow on (cancellable). */
async function openFirstSlot(page: Page, screens = false): Promise<string> {
  await openTab(page, '参观')
  await expect(pageTitle(page, '低碳教育基地')).toBeVisible()
  const bases = page.getByRole('link', { name: /^基地：/ })
  await expect(bases.first()).toBeVisible()
  if (screens) await checkPage(page, 'visits-tab')
  const baseName = ((await bases.first().getAttribute('aria-label')) ?? '').replace(/^基地：/, '')
  await bases.first().click()
  await expect(pageTitle(page, baseName)).toBeVisible()
  await expect(page.getByRole('heading', { name: '开放时段', exact: true })).toBeVisible()
  const slots = page.getByRole('button', { name: /，预约$/ })
  await expect(slots.first()).toBeVisible()
  if (screens) await checkPage(page, 'visits-base-slots')
  const today = dayLabel(localToday())
  const count = await slots.count()
  for (let i = 0; i < count; i++) {
    const label = (await slots.nth(i).getAttribute('aria-label')) ?? ''
    if (!label.startsWith(today)) {
      await slots.nth(i).click()
      await expect(pageTitle(page, '预约参观')).toBeVisible()
      return baseName
    }
  }
  throw new Error('no slot after today')
}

async function fillVisitor(page: Page, n: number, v: { name: string; id: string; phone: string; type?: string }) {
  const who = `参观人 ${n}`
  await page.getByLabel(`${who} 姓名`).fill(v.name)
  if (v.type) await page.getByRole('button', { name: `${who} 证件类型：${v.type}` }).click()
  await page.getByLabel(`${who} 证件号码`).fill(v.id)
  await page.getByLabel(`${who} 手机号码`).fill(v.phone)
}

function countBookingPosts(page: Page): () => number {
  let posts = 0
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/api\/mp\/v1\/bookings$/.test(request.url())) posts++
  })
  return () => posts
}

test('a citizen books two visitors, sees the QR code under 我的预约 and cancels', async ({ page }) => {
  await signIn(page, person('citizen'))
  const baseName = await openFirstSlot(page, true)
  await checkPage(page, 'visits-book')

  await fillVisitor(page, 1, { name: '王晓明', id: residentId(), phone: '13900001111' })
  await page.getByRole('button', { name: '添加参观人' }).click()
  await fillVisitor(page, 2, { name: 'Anna Schmidt', id: `E${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`, phone: '+4915112345678', type: '护照' })
  await expect(page.getByRole('button', { name: '参观人 2 证件类型：护照' })).toHaveAttribute('aria-pressed', 'true')
  await checkPage(page, 'visits-book-two')
  await page.getByRole('button', { name: '提交' }).click()

  await expect(page.getByText('预约成功！请在参观当天凭下方核验码和本人证件入馆。')).toBeVisible()
  await expect(page.getByRole('img', { name: /^入馆核验二维码/ })).toBeVisible()
  await checkPage(page, 'visits-booking-new')

  await page.getByRole('button', { name: '返回我的预约' }).click()
  await expect(pageTitle(page, '我的预约')).toBeVisible()
  const mine = page.getByRole('link', { name: new RegExp(`^预约：${baseName} .*，已预约$`) })
  await expect(mine).toHaveCount(1)
  await expect(mine.getByText('已预约 · 2 人')).toBeVisible()
  await checkPage(page, 'visits-my-bookings')

  await mine.click()
  await expect(pageTitle(page, '预约详情')).toBeVisible()
  await expect(page.getByRole('img', { name: /^入馆核验二维码/ })).toBeVisible()
  await expect(page.getByText(/^核验码：\d+\./)).toBeVisible()
  await expect(page.getByText(/^参观人 2：Anna Schmidt，护照/)).toBeVisible()
  // The slot is after today: its cut-off (cancellable_until) is said in the app's date words.
  await expect(page.getByText(/^\d+月\d+日 \d{2}:\d{2} 前可以取消。$/)).toBeVisible()
  await checkPage(page, 'visits-booking')

  await page.getByRole('button', { name: '取消预约' }).click()
  await expect(page.getByRole('button', { name: '确认取消' })).toBeVisible()
  await checkPage(page, 'visits-cancel-confirm')
  await page.getByRole('button', { name: '确认取消' }).click()
  await expect(page.getByText('状态：已取消')).toBeVisible()
  await expect(page.getByRole('img', { name: /^入馆核验二维码/ })).toHaveCount(0)

  await page.getByRole('button', { name: '返回我的预约' }).click()
  await expect(page.getByRole('link', { name: new RegExp(`^预约：${baseName} .*，已取消$`) })).toHaveCount(1)
})

test('back on the base page after booking, the slot says one place fewer', async ({ page }) => {
  await signIn(page, person('recount'))
  const baseName = await openFirstSlot(page)
  await page.goBack()
  await expect(pageTitle(page, baseName)).toBeVisible()
  // The slot openFirstSlot took: the first after today that may be booked.
  const today = dayLabel(localToday())
  const slots = page.getByRole('button', { name: /，预约$/ })
  let label = ''
  for (let i = 0; i < (await slots.count()); i++) {
    label = (await slots.nth(i).getAttribute('aria-label')) ?? ''
    if (!label.startsWith(today)) break
  }
  const [when, left] = [label.split('，')[0], Number(/余 (\d+) 个名额/.exec(label)?.[1])]
  await page.getByRole('button', { name: label }).click()
  await fillVisitor(page, 1, { name: '李回看', id: residentId(), phone: '13900002222' })
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.getByText('预约成功！请在参观当天凭下方核验码和本人证件入馆。')).toBeVisible()
  await page.goBack()
  await expect(pageTitle(page, baseName)).toBeVisible()
  await expect(page.getByRole('button', { name: new RegExp(`^${when}，余 ${left - 1} 个名额`) })).toBeVisible()
})

test('a wrong ID checksum shows the message next to the field and sends nothing', async ({ page }) => {
  const posts = countBookingPosts(page)
  await signIn(page, person('typo'))
  await openFirstSlot(page)
  const good = residentId()
  const wrong = good.slice(0, 17) + (good[17] === '0' ? '1' : '0')
  await fillVisitor(page, 1, { name: '李华', id: wrong, phone: '13900002222' })
  await page.getByRole('button', { name: '提交' }).click()

  const field = page.locator('.field', { has: page.getByLabel('参观人 1 证件号码') })
  await expect(field.getByText('居民身份证号码无效（请核对 18 位号码及末位校验码）')).toBeVisible()
  await checkPage(page, 'visits-book-wrong-id')
  expect(posts()).toBe(0)

  // A landline is refused too, next to its field; still nothing sent.
  await page.getByLabel('参观人 1 证件号码').fill(good)
  await page.getByLabel('参观人 1 手机号码').fill('04318888000')
  await page.getByRole('button', { name: '提交' }).click()
  const phone = page.locator('.field', { has: page.getByLabel('参观人 1 手机号码') })
  await expect(phone.getByText('请填写手机号码（11 位，以 13–19 开头），不能填写座机号码')).toBeVisible()
  await expect(field.getByText('居民身份证号码无效（请核对 18 位号码及末位校验码）')).toHaveCount(0)
  expect(posts()).toBe(0)
})

test('a phone typed as an autofill writes it (+86, spaces) books, sent as its 11 digits', async ({ page }) => {
  await signIn(page, person('autofill'))
  await openFirstSlot(page)
  await fillVisitor(page, 1, { name: '钱多多', id: residentId(), phone: '+86 139 0000 4444' })
  const sent = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/mp\/v1\/bookings$/.test(r.url()))
  await page.getByRole('button', { name: '提交' }).click()
  expect((await sent).postDataJSON().visitors[0].phone).toBe('13900004444')
  await expect(page.getByText('预约成功！请在参观当天凭下方核验码和本人证件入馆。')).toBeVisible()
})

test('a double tap on 提交 makes one booking', async ({ page, request }) => {
  await signIn(page, person('hasty'))
  await openFirstSlot(page)
  await fillVisitor(page, 1, { name: '赵敏', id: residentId(), phone: '13900003333' })
  await page.getByRole('button', { name: '提交' }).dblclick()
  await expect(page.getByText('预约成功！请在参观当天凭下方核验码和本人证件入馆。')).toBeVisible()

  const answer = await request.get(`${MP}/me/bookings`, { headers: bearer(await tokenOf(page)) })
  expect(answer.status()).toBe(200)
  expect((await answer.json()).total).toBe(1)
})

test('a retry after the connection dropped books once, with the same Idempotency-Key', async ({ page, request }) => {
  await signIn(page, person('offline'))
  await openFirstSlot(page)
  await fillVisitor(page, 1, { name: '钱多多', id: residentId(), phone: '13900006666' })
  // The first answer is lost on the way back (the booking was made): the page's retry must not book again.
  const keys: string[] = []
  await page.route('**/api/mp/v1/bookings', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '')
    if (keys.length === 1) {
      await route.fetch()
      await route.abort('connectionreset')
    } else {
      await route.continue()
    }
  })
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.getByText('预约成功！请在参观当天凭下方核验码和本人证件入馆。')).toBeVisible()
  expect(keys.length).toBe(2)
  expect(keys[1]).toBe(keys[0])
  const answer = await request.get(`${MP}/me/bookings`, { headers: bearer(await tokenOf(page)) })
  expect((await answer.json()).total).toBe(1)
})

test('a group booking asks for its headcount within the slot’s group places', async ({ page }) => {
  await signIn(page, person('teacher'))
  await openFirstSlot(page)
  await page.getByRole('button', { name: '预约方式：团体预约' }).click()
  await page.getByLabel('单位名称').fill('长春市第一实验小学')
  await page.getByLabel('领队姓名').fill('李老师')
  await page.getByLabel('领队手机号码').fill('13912345678')
  await page.getByLabel('团体人数').fill('999')
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.locator('.field', { has: page.getByLabel('团体人数') }).getByText(/^该时段团体最多 \d+ 人$/)).toBeVisible()
  await checkPage(page, 'visits-book-group')
  await page.getByLabel('团体人数').fill('12')
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.getByText(/^团体：长春市第一实验小学，12 人/)).toBeVisible()
})

test('a group leader hands in the name list: an adult short is said under the adults, then it is kept', async ({ page }) => {
  await signIn(page, person('leader'))
  await openFirstSlot(page)
  await page.getByRole('button', { name: '预约方式：团体预约' }).click()
  await page.getByLabel('单位名称').fill('长春市第二实验小学')
  await page.getByLabel('领队姓名').fill('王老师')
  await page.getByLabel('领队手机号码').fill('13912345679')
  await page.getByLabel('团体人数').fill('12')
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.getByText('团体名单：尚未提交')).toBeVisible()
  await page.getByRole('button', { name: '填写团体名单' }).click()
  await expect(pageTitle(page, '团体名单')).toBeVisible()
  const pupils = Array.from('甲乙丙丁戊己庚辛壬癸子', (c) => `学生${c}`)
  await page.getByLabel('未成年人名单（每行一个姓名）').fill(pupils.join('\n'))
  await page.getByLabel('成年人名单（带队老师等，每行一个姓名）').fill('王老师')
  await page.getByRole('button', { name: '保存名单' }).click()
  const adults = page.locator('.field').filter({ has: page.getByLabel('成年人名单（带队老师等，每行一个姓名）') })
  await expect(adults.getByRole('alert')).toHaveText('每 10 名未成年人须至少有 1 名成年人带队（11 名未成年人至少需 2 名成年人）')
  await checkPage(page, 'visits-group-members-refused')
  await page.getByLabel('未成年人名单（每行一个姓名）').fill(pupils.slice(0, 10).join('\n'))
  await page.getByLabel('成年人名单（带队老师等，每行一个姓名）').fill('王老师\n李老师')
  await page.getByRole('button', { name: '保存名单' }).click()
  await expect(page.getByText('名单已保存（12 人，其中未成年人 10 人）。')).toBeVisible()
  await page.getByRole('button', { name: '返回预约详情' }).click()
  await expect(page.getByText('团体名单：已提交 12 人（其中未成年人 10 人）')).toBeVisible()
  await page.getByRole('button', { name: '修改团体名单' }).click()
  await expect(page.getByLabel('成年人名单（带队老师等，每行一个姓名）')).toHaveValue('王老师\n李老师')
})

// ---- the door ----------------------------------------------------------------------------

async function adminToken(request: APIRequestContext): Promise<string> {
  const answer = await request.post(`${ADMIN}/auth/login`, { data: { username: 'admin', password: 'admin-demo-2026' } })
  expect(answer.status()).toBe(200)
  return (await answer.json()).token
}

/** A slot today at the base, starting a little later (so it can still be booked), via the staff API. */
async function todaySlot(request: APIRequestContext, admin: string, baseId: number): Promise<number> {
  const now = new Date(Date.now() + 8 * 3600_000) // the bases' clock (UTC+8)
  const minutes = now.getUTCHours() * 60 + now.getUTCMinutes() + 15
  const start = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
  const today = localToday()
  const made = await request.post(`${ADMIN}/bases/${baseId}/slots/bulk`, {
    headers: bearer(admin),
    data: { from: today, to: today, weekdays: [1, 2, 3, 4, 5, 6, 7], times: [{ start, end: '23:59' }], capacity: 20 },
  })
  expect(made.status()).toBe(201)
  const slots = await request.get(`${MP}/bases/${baseId}/slots?from=${today}&to=${today}`)
  const open = (await slots.json()).items.filter((s: { bookable: boolean; remaining: number }) => s.bookable && s.remaining > 0)
  expect(open.length).toBeGreaterThan(0)
  return open[0].id
}

/** A visitor (through the mini-program API) books the slot and gets the check-in code. */
async function visitorCode(request: APIRequestContext, slotId: number, name: string): Promise<string> {
  const login = await request.post(`${MP}/auth/login`, { data: { code: `${person('guest')}:1` } })
  const token = (await login.json()).token
  await acceptPolicyByApi(request, token)
  const booked = await request.post(`${MP}/bookings`, {
    headers: { ...bearer(token), 'Idempotency-Key': `door-${person('k')}` },
    data: { slot_id: slotId, visitors: [{ name, id_number: residentId(), phone: '13900004444' }] },
  })
  expect(booked.status()).toBe(201)
  const pass = await request.get(`${MP}/bookings/${(await booked.json()).id}/checkin-code`, { headers: bearer(token) })
  return (await pass.json()).code
}

test('a full slot offers its waitlist, and joining it gives the place in the queue', async ({ page, request }) => {
  const admin = await adminToken(request)
  const base = ((await (await request.get(`${MP}/bases?per_page=50`)).json()).items as { id: number; name: string }[])[0]
  const day = addDays(localToday(), 2)
  const made = await request.post(`${ADMIN}/bases/${base.id}/slots/bulk`, {
    headers: bearer(admin),
    data: { from: day, to: day, weekdays: [1, 2, 3, 4, 5, 6, 7], times: [{ start: '19:00', end: '20:00' }], capacity: 1 },
  })
  expect(made.status()).toBe(201)
  const slots = (await (await request.get(`${MP}/bases/${base.id}/slots?from=${day}&to=${day}`)).json()).items
  const evening = slots.find((s: { starts_at: string }) => s.starts_at.includes('T19:00'))
  if (evening.remaining > 0) await visitorCode(request, evening.id, '唐三藏') // someone else takes the one place

  await signIn(page, person('patient'))
  await openTab(page, '参观')
  await page.getByRole('link', { name: `基地：${base.name}` }).click()
  const full = page.getByRole('button', { name: `${dayLabel(day)} 19:00–20:00，已约满，可候补，加入候补` })
  await expect(full).toBeVisible()
  await full.click()
  await expect(pageTitle(page, '加入候补')).toBeVisible()
  await fillVisitor(page, 1, { name: '白龙马', id: residentId(), phone: '13900005555' })
  await checkPage(page, 'visits-waitlist')
  await page.getByRole('button', { name: '加入候补' }).click()
  await expect(page.getByText(/^已加入候补，排在第 \d+ 位。/)).toBeVisible()
  await checkPage(page, 'visits-waitlist-joined')

  // 查看我的预约 opens 我的预约 on its 候补 tab, where the request is listed and can be withdrawn.
  await page.getByRole('button', { name: '查看我的预约' }).click()
  await expect(pageTitle(page, '我的预约')).toBeVisible()
  await expect(page.getByRole('button', { name: '候补（1）' })).toHaveAttribute('aria-pressed', 'true')
  // The pages behind this one (the base, the form) show the same words: the visible ones count.
  await expect(page.getByText(base.name, { exact: true }).filter({ visible: true })).toBeVisible()
  await expect(page.getByText(`${dayLabel(day)} 19:00–20:00`, { exact: true }).filter({ visible: true })).toBeVisible()
  await expect(page.getByText(/^候补中 · 排在第 \d+ 位 · 1 人$/)).toBeVisible()
  await checkPage(page, 'visits-my-waitlist')
  await page.getByRole('button', { name: `取消候补：${base.name} ${dayLabel(day)} 19:00–20:00` }).click()
  await expect(page.getByText('确定取消这个候补吗？取消后不再为您保留排位。')).toBeVisible()
  await page.getByRole('button', { name: '确认取消候补' }).click()
  await expect(page.getByText('已取消候补。')).toBeVisible()
  await expect(page.getByText('已取消 · 1 人')).toBeVisible()
  await expect(page.getByRole('button', { name: /^取消候补：/ })).toHaveCount(0)
  await expect(page.getByRole('button', { name: '候补', exact: true })).toBeVisible()
})

test('a base operator types a visitor’s code on the door page and sees the visitor checked in', async ({ page, request }) => {
  // Close to midnight there is no later slot today to book: nothing to check at the door then.
  const local = new Date(Date.now() + 8 * 3600_000)
  test.skip(local.getUTCHours() * 60 + local.getUTCMinutes() > 23 * 60 + 30, 'no time left today for a slot')

  const admin = await adminToken(request)
  const bases = (await (await request.get(`${MP}/bases?per_page=50`)).json()).items as { id: number }[]
  expect(bases.length).toBeGreaterThan(1)
  const [ours, theirs] = bases
  const here = await visitorCode(request, await todaySlot(request, admin, ours.id), '孙悟空')
  const elsewhere = await visitorCode(request, await todaySlot(request, admin, theirs.id), '猪八戒')
  const later = await request.get(`${MP}/bases/${ours.id}/slots?from=${addDays(localToday(), 1)}&to=${addDays(localToday(), 6)}`)
  const laterSlot = (await later.json()).items.find((s: { bookable: boolean }) => s.bookable)
  const notToday = await visitorCode(request, laterSlot.id, '沙悟净')

  // The operator signs in on the mini-program; the staff API grants the door role for our base.
  await signIn(page, person('door'))
  const me = await (await request.get(`${MP}/me`, { headers: bearer(await tokenOf(page)) })).json()
  const granted = await request.post(`${ADMIN}/users/${me.id}/grants`, {
    headers: bearer(admin),
    data: { role: 'base_operator', base_id: ours.id },
  })
  expect(granted.status()).toBe(201)
  await page.reload()
  await openTab(page, '参观')
  await page.getByRole('link', { name: '扫码核验' }).click()
  await expect(pageTitle(page, '扫码核验')).toBeVisible()
  await checkPage(page, 'visits-door')

  await page.getByLabel('核验码').fill(here)
  await page.getByRole('button', { name: '核验' }).click()
  await expect(page.getByText('核验通过，已入馆')).toBeVisible()
  // The operator reads visitors masked, as on the door list (docs/privacy.md).
  await expect(page.getByText(/^孙\*\*（居民身份证 /)).toBeVisible()
  await checkPage(page, 'visits-door-ok')

  await page.getByLabel('核验码').fill(here)
  await page.getByRole('button', { name: '核验' }).click()
  await expect(page.getByText('该预约已核验入馆，请勿重复核验')).toBeVisible()

  await page.getByLabel('核验码').fill(elsewhere)
  await page.getByRole('button', { name: '核验' }).click()
  await expect(page.getByText('不是本基地的预约')).toBeVisible()
  await checkPage(page, 'visits-door-other-base')

  await page.getByLabel('核验码').fill(notToday)
  await page.getByRole('button', { name: '核验' }).click()
  await expect(page.getByText('不是预约当天')).toBeVisible()

  await page.getByLabel('核验码').fill('hello')
  await page.getByRole('button', { name: '核验' }).click()
  await expect(page.getByText('核验码格式不正确，请核对后重新输入')).toBeVisible()
})

test('in large text the base and the booking form stay within the phone’s width', async ({ page }) => {
  await signIn(page, person('elder'))
  await page.getByRole('switch', { name: '大字模式' }).click()
  await openFirstSlot(page)
  await page.getByRole('button', { name: '添加参观人' }).click()
  await page.waitForLoadState('networkidle')
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(await overflow(), 'booking form in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'visits-book-large-text')
  await page.goBack()
  await expect(page.getByRole('heading', { name: '开放时段', exact: true })).toBeVisible()
  expect(await overflow(), 'base page in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'visits-base-large-text')
})

test('a day the base closed says so and why, with no slot to book', async ({ page, request }) => {
  const admin = await adminToken(request)
  const bases = (await (await request.get(`${MP}/bases?per_page=50`)).json()).items as { id: number; name: string }[]
  const base = bases[bases.length - 1] // the other journeys book at the first base
  const day = addDays(localToday(), 3)
  const closed = await request.post(`${ADMIN}/bases/${base.id}/closures`, {
    headers: bearer(admin),
    data: { date: day, reason: '设备检修' },
  })
  expect(closed.status()).toBe(200)
  try {
    await signIn(page, person('closed'))
    await openTab(page, '参观')
    await page.getByRole('link', { name: `基地：${base.name}` }).click()
    await expect(pageTitle(page, base.name)).toBeVisible()
    await expect(page.getByText('闭馆：设备检修（当天不接待参观）')).toBeVisible()
    await expect(page.getByRole('button', { name: new RegExp(`^${dayLabel(day)} `) })).toHaveCount(0)
    await checkPage(page, 'visits-base-closed-day')
  } finally {
    // Lifted again: a rerun (or a journey that books that day) finds the base as the demo made it.
    const lifted = await request.delete(`${ADMIN}/bases/${base.id}/closures/${day}`, { headers: bearer(admin) })
    expect(lifted.status()).toBe(200)
  }
})

test('a slot whose individual places are taken lets an individual wait and a group book', async ({ page, request }) => {
  const admin = await adminToken(request)
  const base = ((await (await request.get(`${MP}/bases?per_page=50`)).json()).items as { id: number; name: string }[])[0]
  const day = addDays(localToday(), 2)
  const made = await request.post(`${ADMIN}/bases/${base.id}/slots/bulk`, {
    headers: bearer(admin),
    data: { from: day, to: day, weekdays: [1, 2, 3, 4, 5, 6, 7], times: [{ start: '17:00', end: '18:00' }], capacity: 1, group_capacity: 20 },
  })
  expect(made.status()).toBe(201)
  const slots = (await (await request.get(`${MP}/bases/${base.id}/slots?from=${day}&to=${day}`)).json()).items
  const late = slots.find((s: { starts_at: string }) => s.starts_at.includes('T17:00'))
  if (late.remaining > 0) await visitorCode(request, late.id, '观世音') // someone takes the one individual place

  await signIn(page, person('mixed'))
  await openTab(page, '参观')
  await page.getByRole('link', { name: `基地：${base.name}` }).click()
  const slot = page.getByRole('button', { name: new RegExp(`^${dayLabel(day)} 17:00–18:00，个人已约满，可候补 · 团体余 \\d+，个人候补或团体预约$`) })
  await expect(slot).toBeVisible()
  await slot.click()
  // An individual can only wait; the same form books a group.
  await expect(pageTitle(page, '加入候补')).toBeVisible()
  await expect(page.getByRole('button', { name: '加入候补' })).toBeVisible()
  await page.getByRole('button', { name: '预约方式：团体预约' }).click()
  await expect(pageTitle(page, '预约参观')).toBeVisible()
  await page.getByLabel('单位名称').fill('长春市第二实验小学')
  await page.getByLabel('领队姓名').fill('王老师')
  await page.getByLabel('领队手机号码').fill('13912345679')
  await page.getByLabel('团体人数').fill('8')
  await page.getByRole('button', { name: '提交' }).click()
  await expect(page.getByText(/^团体：长春市第二实验小学，8 人/)).toBeVisible()
})
