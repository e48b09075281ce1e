import { expect, test } from '@playwright/test'
import { acceptPolicy, checkPage, consentPrompt, openTab, pageTitle } from './helpers'

test('a visitor reads the home page', async ({ page }) => {
  await page.goto('./')
  await expect(pageTitle(page, '长春市低碳排放示范区')).toBeVisible()
  await expect(page.getByText('公开示范区')).toBeVisible()
  await expect(page.getByRole('link', { name: /^公示：/ })).toBeVisible()
  await expect(page.getByRole('link', { name: /^文章：/ }).first()).toBeVisible()
  await checkPage(page, 'home')
})

test('a visitor filters the zones by type and opens one', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '示范区')
  await expect(pageTitle(page, '示范区')).toBeVisible()
  await expect(page.getByText(/^共 \d+ 个示范区$/)).toBeVisible()
  await checkPage(page, 'zones')

  await page.getByRole('button', { name: '类型：学校' }).click()
  await expect(page.getByRole('button', { name: '类型：学校' })).toHaveAttribute('aria-pressed', 'true')
  const cards = page.getByRole('link', { name: /^示范区：/ })
  await expect(cards.first()).toBeVisible()
  await expect(cards.filter({ hasNotText: '学校' })).toHaveCount(0) // every card shown is a school
  await checkPage(page, 'zones-school')

  const name = ((await cards.first().getAttribute('aria-label')) ?? '').replace(/^示范区：/, '')
  await cards.first().click()
  await expect(pageTitle(page, name)).toBeVisible()
  await expect(page.getByRole('heading', { name: '减碳指标' })).toBeVisible()
  await expect(page.getByRole('heading', { name: '创建历程' })).toBeVisible()
  await checkPage(page, 'zone-detail')
})

test('a zone opened from a shared link offers the way home; opened in the app, it does not', async ({ page }) => {
  await page.goto('./#/pages/zone/index?id=1')
  await expect(page.getByRole('heading', { name: '创建历程' })).toBeVisible()
  const home = page.getByRole('link', { name: '返回首页' })
  await expect(home).toBeVisible()
  await checkPage(page, 'zone-from-link')
  await home.click()
  await expect(pageTitle(page, '长春市低碳排放示范区')).toBeVisible()

  await openTab(page, '示范区')
  await page.getByRole('link', { name: /^示范区：/ }).first().click()
  await expect(page.getByRole('heading', { name: '创建历程' })).toBeVisible()
  await expect(page.getByRole('link', { name: '返回首页' })).toHaveCount(0)
})

test('a visitor searches the zones in Chinese', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '示范区')
  await page.getByLabel('搜索示范区').fill('景区')
  await page.getByRole('button', { name: '搜索' }).click()
  const cards = page.getByRole('link', { name: /^示范区：/ })
  await expect(cards.first()).toBeVisible()
  await expect(page.getByRole('link', { name: /^示范区：.*景区/ }).first()).toBeVisible()
})

test('a person signs in on 我的 (development sign-in), sees the profile and signs out', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '我的')
  await expect(pageTitle(page, '我的')).toBeVisible()
  await checkPage(page, 'me-signed-out')
  await page.getByLabel('开发用登录用户名').fill('alice')
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  await acceptPolicy(page) // a first sign-in: the privacy policy comes first
  await expect(page.getByText(/^身份：/)).toBeVisible()
  await checkPage(page, 'me-signed-in')
  await page.getByRole('button', { name: '退出登录' }).click()
  await expect(page.getByRole('button', { name: '开发用登录' })).toBeVisible()
})

test('large text (适老化) is switched on, applies to every page and stays after a reload', async ({ page }) => {
  await page.goto('./')
  const title = pageTitle(page, '长春市低碳排放示范区')
  const before = await title.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  await openTab(page, '我的')
  const button = page.getByRole('button', { name: '开发用登录' })
  const buttonBefore = await button.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  const toggle = page.getByRole('switch', { name: '大字模式' })
  await expect(toggle).toHaveAttribute('aria-checked', 'false')
  await toggle.click()
  await expect(toggle).toHaveAttribute('aria-checked', 'true')
  const buttonAfter = await button.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  expect(buttonAfter).toBeGreaterThan(buttonBefore * 1.2)
  await checkPage(page, 'me-large-text')
  await openTab(page, '首页')
  await expect(title).toBeVisible()
  const after = await title.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  expect(after).toBeGreaterThan(before * 1.2)
  await checkPage(page, 'home-large-text')
  await page.reload()
  const reloaded = await pageTitle(page, '长春市低碳排放示范区').evaluate((el) => parseFloat(getComputedStyle(el).fontSize))
  expect(reloaded).toBe(after)
})

test('a visitor opens 参观 and an education base', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '参观')
  await expect(pageTitle(page, '低碳教育基地')).toBeVisible()
  const bases = page.getByRole('link', { name: /^基地：/ })
  await expect(bases.first()).toBeVisible()
  await checkPage(page, 'visits')
  const name = ((await bases.first().getAttribute('aria-label')) ?? '').replace(/^基地：/, '')
  await bases.first().click()
  await expect(pageTitle(page, name)).toBeVisible()
  await checkPage(page, 'visits-base')
})

test('an expired sign-in asks to sign in again, in Chinese', async ({ page, request }) => {
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByLabel('开发用登录用户名').fill('bob')
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  await acceptPolicy(page)
  // The token stops working behind the page's back (as when it expires), then the page is used again.
  const stored = await page.evaluate(() => localStorage.getItem('lowcarbon.token') ?? '')
  const token = (JSON.parse(stored) as { data: string }).data
  const logout = await request.post('/api/mp/v1/auth/logout', { headers: { Authorization: `Bearer ${token}` } })
  expect(logout.ok()).toBe(true)
  await page.reload()
  await expect(page.getByRole('alert').filter({ hasText: '登录已失效，请重新登录' })).toBeVisible()
  await checkPage(page, 'me-sign-in-again')
  // Signing in again happens in place, without leaving the page (a form on it would be kept).
  await page.getByLabel('重新登录用户名').fill('bob')
  await page.getByRole('button', { name: '重新登录' }).click()
  await expect(page.getByRole('alert').filter({ hasText: '登录已失效' })).toHaveCount(0)
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  // The policy was accepted at the first sign-in: not asked again.
  await expect(consentPrompt(page)).toBeHidden()
})

test('large text leaves no page wider than the phone', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('switch', { name: '大字模式' }).click()
  for (const tab of ['首页', '示范区', '参观', '我的'] as const) {
    await openTab(page, tab)
    await page.waitForLoadState('networkidle')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow, `${tab} in large text`).toBeLessThanOrEqual(0)
  }
})

test('the zones list loads the next page at the bottom (endless scroll)', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '示范区')
  const summary = page.getByText(/^共 \d+ 个示范区$/)
  await expect(summary).toBeVisible()
  const total = Number(((await summary.textContent()) ?? '').replace(/\D/g, ''))
  const cards = page.getByRole('link', { name: /^示范区：/ })
  await expect(cards).toHaveCount(Math.min(total, 20))
  expect(total).toBeGreaterThan(20) // the demo data has more than one page
  await cards.last().scrollIntoViewIfNeeded()
  await page.mouse.move(187, 400)
  await page.mouse.wheel(0, 100_000)
  await expect(cards).toHaveCount(Math.min(total, 40))
  await expect(page.getByText('已经到底了')).toBeVisible()
})

test('the zones list claims no count and no empty result before its first answer', async ({ page }) => {
  // Every text the page ever puts in the DOM, however briefly (a frame between the first render and
  // the first request was enough to read "共 0 个示范区").
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { seen: string[] }).seen = seen
    new MutationObserver((records) => {
      for (const record of records) {
        const nodes = record.type === 'characterData' ? [record.target] : Array.from(record.addedNodes)
        for (const node of nodes) {
          const text = node.textContent ?? ''
          if (/共 \d+ 个示范区|没有符合条件的示范区/.test(text)) seen.push(text.trim())
        }
      }
    }).observe(document, { subtree: true, childList: true, characterData: true })
  })
  await page.goto('./')
  await openTab(page, '示范区')
  const summary = page.getByText(/^共 \d+ 个示范区$/)
  await expect(summary).toBeVisible()
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen)
  expect(seen.filter((text) => /共 0 个示范区|没有符合条件/.test(text))).toEqual([])
})

test('a zone in publicity leads to its notice', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '示范区')
  await page.getByRole('button', { name: '状态：公示中' }).click()
  await expect(page.getByRole('button', { name: '状态：公示中' })).toHaveAttribute('aria-pressed', 'true')
  const card = page.getByRole('link', { name: /^示范区：/ }).first()
  await expect(card.getByText('公示中', { exact: true })).toBeVisible()
  await card.click()
  await page.getByRole('link', { name: /^公示：/ }).click()
  await expect(page.getByRole('heading', { name: '异议须知' })).toBeVisible()
})
