/**
 * What a citizen sees at the edges (found by a tester on the h5 pages at 390 × 844): the home page's
 * 正在公示, a search over the API's limit, a wrong link, a closed notice's objection form, the tab bar,
 * the phone keypad, and 同意 tapped while the privacy policy loads.
 */
import { expect, type Page, test } from '@playwright/test'
import { consentPrompt, openTab, pageTitle, signIn } from './helpers'

/** Every API path the page asked for (to prove a wrong link asks nothing). */
function apiCalls(page: Page): string[] {
  const seen: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/api/mp/v1/')) seen.push(url.pathname)
  })
  return seen
}

test('the home page shows only a notice open now, with the same last day as the notice page', async ({ page }) => {
  const upcoming = { id: 9001, title: '尚未开始的公示（测试）', batch_year: 2026, starts_at: '2099-12-10T00:00:00+08:00', ends_at: '2099-12-17T00:00:00+08:00', window_state: 'upcoming', zone_count: 2 }
  const open = { id: 9002, title: '正在公示的名单（测试）', batch_year: 2026, starts_at: '2026-11-25T00:00:00+08:00', ends_at: '2026-12-04T00:00:00+08:00', window_state: 'open', zone_count: 3 }
  // As the service answered before its fix: state=open also listed notices not yet started.
  await page.route(/\/api\/mp\/v1\/publicity\?.*state=open/, (route) =>
    route.fulfill({ json: { items: [upcoming, open], page: 1, per_page: 5, total: 2 } }),
  )
  await page.goto('./')
  await expect(pageTitle(page, '长春市低碳排放示范区')).toBeVisible()
  const card = page.getByRole('link', { name: `公示：${open.title}` })
  await expect(card).toContainText('公示期 2026年11月25日至12月3日，共 3 个项目')
  await expect(page.getByRole('link', { name: `公示：${upcoming.title}` })).toHaveCount(0)
})

test('a zone search is capped at 50 characters, and a refused search says why without a useless 重试', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '示范区')
  const box = page.getByLabel('搜索示范区')
  await box.fill('低'.repeat(60))
  expect(Array.from(await box.inputValue())).toHaveLength(50)

  await page.route(/\/api\/mp\/v1\/zones\?.*q=/, (route) =>
    route.fulfill({ status: 422, json: { error: { code: 'validation_error', message: '请求参数有误', details: { q: ['长度不能超过 50'] } } } }),
  )
  await box.fill('光伏')
  await page.getByRole('button', { name: '搜索', exact: true }).click()
  await expect(page.getByRole('alert').getByText('搜索词长度不能超过 50')).toBeVisible()
  await expect(page.getByText('请求参数有误')).toHaveCount(0)
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)
})

test('a wrong link says so in plain Chinese, asks nothing with NaN, and offers no 重试', async ({ page }) => {
  const calls = apiCalls(page)
  await page.goto('./#/pages/zone/index?id=abc')
  await expect(page.getByRole('alert').getByText('找不到这个示范区')).toBeVisible()
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)
  expect(calls.filter((path) => path.startsWith('/api/mp/v1/zones/'))).toEqual([])

  await page.goto('./#/packages/publicity/notice/index?id=99999')
  const missing = page.getByRole('alert')
  await expect(missing).toBeVisible()
  await expect(missing).not.toContainText('接口或资源不存在')
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)

  await page.goto('./#/packages/knowledge/article/index?id=99999')
  await expect(page.getByRole('alert')).toBeVisible()
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)
  // h5 has no back button: a page that cannot show what its link named offers its list instead.
  await page.getByRole('button', { name: '查看低碳知识' }).click()
  await expect(pageTitle(page, '低碳知识')).toBeVisible()

  await page.goto('./#/pages/zone/index?id=99999')
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)
  await page.getByRole('button', { name: '查看全部示范区' }).click()
  await expect(pageTitle(page, '示范区')).toBeVisible()
})

test('a booking link without its date, or to a slot not yet released, says why before any form', async ({ page, request }) => {
  const bases = await (await request.get('/api/mp/v1/bases')).json()
  const base = bases.items[0].id as number
  await page.goto(`./#/packages/visits/book/index?base=${base}&slot=1`)
  await expect(page.getByRole('alert').getByText('预约链接不完整，请回到基地页面重新选择时段。')).toBeVisible()
  await expect(page.getByText('请求参数有误')).toHaveCount(0)
  await expect(page.getByRole('button', { name: '重试' })).toHaveCount(0)
  await expect(page.getByRole('button', { name: '返回基地页面' })).toBeVisible()
})

test('the objection form of a closed notice keeps the banner and offers no form to submit', async ({ page, request }) => {
  const closed = await (await request.get('/api/mp/v1/publicity?state=closed&per_page=1')).json()
  const id = closed.items[0].id as number
  const notice = await (await request.get(`/api/mp/v1/publicity/${id}`)).json()
  await signIn(page, `fp-closed-${Date.now() % 100000}`)
  await page.goto(`./#/packages/publicity/object/index?notice=${id}&zone=${notice.zones[0].zone_id}`)
  await expect(pageTitle(page, '提出异议')).toBeVisible()
  await expect(page.getByText('公示期已结束，不再受理异议')).toBeVisible()
  await expect(page.getByLabel('真实姓名')).toHaveCount(0)
  await expect(page.getByRole('button', { name: '提交异议' })).toHaveCount(0)
  await expect(page.getByRole('button', { name: '返回公示' })).toBeVisible()
})

test('the tab bar: each tab fills the bar’s height (at least 44 px) and its label follows large text', async ({ page }) => {
  await page.goto('./')
  await expect(pageTitle(page, '长春市低碳排放示范区')).toBeVisible()
  const bar = await page.locator('.weui-tabbar').boundingBox()
  const mine = page.locator('.weui-tabbar__item', { hasText: '我的' })
  const item = await mine.boundingBox()
  expect(bar && item).toBeTruthy()
  expect(item!.height).toBeGreaterThanOrEqual(44)
  expect(item!.y).toBeLessThanOrEqual(bar!.y + 1)
  // A tap near the top edge of the bar, above the label, opens the tab.
  await page.touchscreen.tap(item!.x + item!.width / 2, bar!.y + 3)
  await expect(pageTitle(page, '我的')).toBeVisible()

  const label = page.locator('.weui-tabbar__label', { hasText: '我的' })
  const before = await label.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  expect(before).toBeGreaterThanOrEqual(12)
  await page.getByRole('switch', { name: '大字模式' }).click()
  await expect(page.getByRole('switch', { name: '大字模式' })).toHaveAttribute('aria-checked', 'true')
  const after = await label.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  expect(after).toBeGreaterThan(before * 1.2)
  const large = await mine.boundingBox()
  expect(large!.height).toBeGreaterThanOrEqual(44)
  await page.getByRole('switch', { name: '大字模式' }).click() // the setting stays on the device: leave it off
})

test('the phone field brings up the phone keypad (type=tel), and still takes +852', async ({ page }) => {
  await page.goto('./')
  await page.getByRole('link', { name: /^公示：/ }).click()
  await page.getByRole('button', { name: /^我要提异议：/ }).first().click()
  await expect(pageTitle(page, '提出异议')).toBeVisible()
  const phone = page.getByLabel('手机号码')
  await expect(phone).toHaveAttribute('type', 'tel')
  await expect(phone).toHaveAttribute('inputmode', 'tel')
  await phone.fill('+852 9123 4567')
  await expect(phone).toHaveValue('+852 9123 4567')
})

test('同意 tapped while the privacy policy is still loading accepts it once it has loaded', async ({ page }) => {
  await page.route('**/api/mp/v1/policies/privacy', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await route.continue()
  })
  await signIn(page, `fp-hasty-${Date.now() % 100000}`, { accept: false })
  const prompt = consentPrompt(page)
  const agree = prompt.getByRole('button', { name: '同意隐私保护指引' })
  await expect(agree).toHaveAttribute('aria-disabled', 'true')
  await agree.click()
  await expect(prompt).toBeHidden()
})
