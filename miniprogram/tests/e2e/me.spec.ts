import { type Page, expect, test } from '@playwright/test'
import { acceptPolicy, acceptPolicyByApi, checkPage, consentPrompt, openTab, pageTitle, signIn } from './helpers'

// 我的 journeys (issue 24 with issue 23's data rights) against the real service and its demo data.

let serial = 0
const person = (prefix: string) => `${prefix}${Date.now() % 1e8}${serial++}`
const MP = '/api/mp/v1'

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

/** From wherever the person is (a sub-page has no tab bar): back to 我的, then one of its entries. */
async function openEntry(page: Page, name: string, title: string | RegExp): Promise<void> {
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('link', { name, exact: true }).click()
  await expect(pageTitle(page, title)).toBeVisible()
}

test('signed in, a person accepts the policy, follows a zone, exports their data and deletes the account after two confirmations', async ({ page }) => {
  test.setTimeout(180_000)
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByLabel('开发用登录用户名').fill(person('rights'))
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  // The first sign-in shows the policy before anything that writes.
  await expect(consentPrompt(page)).toBeVisible()
  await expect(consentPrompt(page).getByText(/版本 .+ 起生效/)).toBeVisible()
  await checkPage(page, 'me-consent-prompt')
  await acceptPolicy(page)
  await openEntry(page, '隐私保护指引', /隐私/)
  await expect(page.getByText('您已同意本版本。')).toBeVisible()
  await checkPage(page, 'me-privacy')
  await page.getByRole('button', { name: '返回“我的”' }).click()

  // A zone: follow it, see it in 我的关注 and its page's updates.
  await openTab(page, '示范区')
  const card = page.getByRole('link', { name: /^示范区：/ }).first()
  const zoneName = ((await card.getAttribute('aria-label')) ?? '').replace(/^示范区：/, '')
  await card.click()
  await expect(pageTitle(page, zoneName)).toBeVisible()
  await expect(page.getByRole('heading', { name: '最新动态' })).toBeVisible()
  await expect(page.getByText(/坐标（GCJ-02）：北纬/)).toBeVisible()
  await page.getByRole('button', { name: '关注这个示范区' }).click()
  await expect(page.getByRole('button', { name: '已关注，点按取消关注' })).toBeVisible()
  await expect(page.getByText('1 人关注')).toBeVisible()
  await checkPage(page, 'zone-followed')

  await openEntry(page, '我的关注', '我的关注')
  await expect(page.getByRole('link', { name: `打开${zoneName}` })).toBeVisible()
  await checkPage(page, 'me-follows')
  await openEntry(page, '我的动态', '我的动态')
  // The followed zone's updates, when the demo zone has any; otherwise the page says there are none yet.
  await expect(page.getByRole('link', { name: /^示范区动态：/ }).first().or(page.getByText(/^暂无动态。/))).toBeVisible()
  await checkPage(page, 'me-feed')
  await openEntry(page, '我的关注', '我的关注')
  await page.getByRole('button', { name: `取消关注${zoneName}` }).click()
  await expect(page.getByText(/还没有关注/)).toBeVisible()

  // A copy of my data: downloaded as a JSON file, summarised on the page.
  await openEntry(page, '导出我的数据', '导出我的数据')
  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: '生成我的数据副本' }).click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^我的数据-\d{4}-\d{2}-\d{2}\.json$/)
  await expect(page.getByText(/^账号信息：有$/)).toBeVisible()
  await checkPage(page, 'me-export')

  // Deletion: explained, asked twice; the first answer alone deletes nothing.
  await openEntry(page, '注销账号', '注销账号')
  await expect(page.getByRole('heading', { name: '注销后删除' })).toBeVisible()
  await expect(page.getByRole('heading', { name: '注销后保留' })).toBeVisible()
  await page.getByRole('button', { name: '申请注销账号' }).click()
  await page.getByRole('button', { name: '确定注销' }).click()
  await expect(page.getByText('最后确认：注销立即生效，无法撤销，数据无法恢复。')).toBeVisible()
  await checkPage(page, 'me-delete-confirm')
  await page.getByRole('button', { name: '确认注销，不可恢复' }).click()
  await expect(pageTitle(page, '账号已注销')).toBeVisible()
  await checkPage(page, 'me-deleted')
  await page.getByRole('button', { name: '返回首页' }).click()
  await openTab(page, '我的')
  await expect(page.getByRole('button', { name: '开发用登录' })).toBeVisible()
})

test('an under-14 student shares a guardian code; a guardian signed in elsewhere consents, then withdraws', async ({ page, browser, request, baseURL }) => {
  test.setTimeout(180_000)
  await signIn(page, person('child'))
  const token = await tokenOf(page)
  const headers = { Authorization: `Bearer ${token}` }
  const schools = await (await request.get(`${MP}/schools?per_page=5`)).json()
  const school = schools.items[0] as { id: number }
  const patched = await request.patch(`${MP}/me`, { headers, data: { school_id: school.id, age_band: 'under_14', nickname: '小苗' } })
  expect(patched.ok()).toBe(true)
  await page.reload()
  await openEntry(page, '监护人授权', '监护人授权')
  await page.getByRole('button', { name: '生成监护人授权码' }).click()
  const code = (await page.locator('.me-code').innerText()).trim()
  expect(code.length).toBeGreaterThan(10)
  await expect(page.getByRole('button', { name: '复制授权码' })).toBeVisible()
  await checkPage(page, 'me-guardian-child')

  // The guardian: another person, signed in in a browser of their own.
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 375, height: 812 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  })
  const guardian = await context.newPage()
  await signIn(guardian, person('mother'))
  await openEntry(guardian, '监护人授权', '监护人授权')
  await guardian.getByLabel('授权码', { exact: true }).fill(` ${code} `)
  await guardian.getByRole('button', { name: '查看授权内容' }).click()
  await expect(guardian.getByRole('heading', { name: '为 小苗 确认监护人同意' })).toBeVisible()
  await expect(guardian.getByRole('heading', { name: '同意后公开显示' })).toBeVisible()
  await expect(guardian.getByRole('heading', { name: '任何时候都不公开' })).toBeVisible()
  // No relationship chosen: said next to the choice, nothing sent.
  await guardian.getByRole('button', { name: '我是监护人，同意' }).click()
  await expect(guardian.getByText('请选择您与孩子的关系')).toBeVisible()
  await checkPage(guardian, 'me-guardian-preview')
  await guardian.getByRole('button', { name: /^关系：母亲/ }).click()
  await guardian.getByRole('button', { name: '我是监护人，同意' }).click()
  await expect(guardian.getByText('您已同意。谢谢！')).toBeVisible()
  await expect(guardian.getByRole('heading', { name: '我给出的同意' })).toBeVisible()
  await checkPage(guardian, 'me-guardian-consented')
  await guardian.getByRole('button', { name: '撤回对小苗的同意' }).click()
  await expect(guardian.getByText('撤回后，小苗会立即从公开榜单和“同学分享”中移除。确定撤回吗？')).toBeVisible()
  await expect(guardian.getByText(/已撤回/)).toHaveCount(0) // nothing withdrawn by the first tap
  await guardian.getByRole('button', { name: '确认撤回对小苗的同意' }).click()
  await expect(guardian.getByText(/已撤回/)).toBeVisible()
  await context.close()
})

test('a guardian opening the child’s link signed out signs in on the page and keeps the code', async ({ page, request }) => {
  // The child, through the API: an under-14 student of a school with a code to share.
  const login = await request.post(`${MP}/auth/login`, { data: { code: `${person('kid')}:1` } })
  const token = ((await login.json()) as { token: string }).token
  await acceptPolicyByApi(request, token)
  const headers = { Authorization: `Bearer ${token}` }
  const schools = await (await request.get(`${MP}/schools?per_page=5`)).json()
  await request.patch(`${MP}/me`, { headers, data: { school_id: schools.items[0].id, age_band: 'under_14', nickname: '小禾' } })
  const { code } = (await (await request.post(`${MP}/me/guardian-link`, { headers })).json()) as { code: string }

  // The parent opens the shared link, never signed in here, and types the code in lower case.
  await page.goto(`./#/packages/me/guardian/index?code=${encodeURIComponent(code.toLowerCase())}`)
  await page.getByRole('button', { name: '去登录' }).click()
  await page.getByLabel('登录用户名', { exact: true }).filter({ visible: true }).fill(person('father'))
  await page.getByRole('button', { name: '登录', exact: true }).filter({ visible: true }).click()
  await acceptPolicy(page)
  await expect(page.getByRole('heading', { name: '为 小禾 确认监护人同意' })).toBeVisible()
  await expect(page.getByRole('heading', { name: '同意后本校同学可见' })).toBeVisible()
  await checkPage(page, 'me-guardian-signed-in-in-place')
})

test('in large text (适老化) the zone page, the consent prompt and the 我的 pages stay within the phone', async ({ page }) => {
  test.setTimeout(120_000)
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('switch', { name: '大字模式' }).click()
  await page.getByLabel('开发用登录用户名').fill(person('elder'))
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(consentPrompt(page)).toBeVisible()
  const wider = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(await wider(), 'the consent prompt in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'me-consent-large-text')
  await acceptPolicy(page)
  for (const [entry, title] of [
    ['我的关注', '我的关注'],
    ['我的动态', '我的动态'],
    ['导出我的数据', '导出我的数据'],
    ['注销账号', '注销账号'],
    ['监护人授权', '监护人授权'],
  ] as const) {
    await openEntry(page, entry, title)
    await page.waitForLoadState('networkidle')
    expect(await wider(), `${entry} in large text`).toBeLessThanOrEqual(0)
  }
  await page.goto('./')
  await openTab(page, '示范区')
  await page.getByRole('link', { name: /^示范区：/ }).first().click()
  await expect(page.getByRole('button', { name: '关注这个示范区' })).toBeVisible()
  await page.waitForLoadState('networkidle')
  expect(await wider(), 'the zone page in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'zone-large-text')
})
