import { expect, type Page, test } from '@playwright/test'
import { checkPage, openTab, PNG, pageTitle, signIn } from './helpers'

const REASON = '该项目公示的年度能耗数据与我们实际了解到的运行情况明显不符，请核实。'

/** From the home page to the open notice, then to the form for its first zone. */
async function openForm(page: Page): Promise<string> {
  await openTab(page, '首页')
  await page.getByRole('link', { name: /^公示：/ }).click()
  await expect(page.getByRole('heading', { name: '异议须知' })).toBeVisible()
  const object = page.getByRole('button', { name: /^我要提异议：/ }).first()
  const zone = ((await object.getAttribute('aria-label')) ?? '').replace(/^我要提异议：(.+)$/, '$1')
  await object.click()
  await expect(pageTitle(page, '提出异议')).toBeVisible()
  return zone
}

/** Every objection sent (POST …/objections), to prove a refused form sends nothing and a double tap sends once. */
function objectionPosts(page: Page): string[] {
  const sent: string[] = []
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/publicity\/\d+\/objections$/.test(request.url())) sent.push(request.url())
  })
  return sent
}

test('a visitor reads the notices, open and closed, with the closed outcomes', async ({ page }) => {
  await page.goto('./')
  await page.getByRole('link', { name: '全部公示与结果' }).click()
  await expect(pageTitle(page, '公示与异议')).toBeVisible()
  await expect(page.getByRole('link', { name: /^公示：/ }).first()).toBeVisible()
  await checkPage(page, 'publicity-open')

  await page.getByRole('button', { name: '已结束' }).click()
  await expect(page.getByRole('button', { name: '已结束' })).toHaveAttribute('aria-pressed', 'true')
  const closed = page.getByRole('link', { name: /^公示：/ }).first()
  await expect(closed.getByText('已结束', { exact: true })).toBeVisible()
  await checkPage(page, 'publicity-closed')

  await closed.click()
  await expect(page.getByText(/^收到异议 \d+ 条，其中成立 \d+ 条$/).first()).toBeVisible()
  await expect(page.getByText(/^公示结果：/).first()).toBeVisible()
  await expect(page.getByRole('button', { name: /^我要提异议/ })).toHaveCount(0)
  await checkPage(page, 'publicity-notice-closed')
})

test('a citizen objects with a picture, gets the receipt number at once and finds it under 我的异议', async ({ page }) => {
  await signIn(page, 'fp-objector')
  const sent = objectionPosts(page)
  const zone = await openForm(page)
  await checkPage(page, 'publicity-form')

  await page.getByLabel('真实姓名').fill('张三')
  await page.getByLabel('手机号码').fill('13812345678')
  await page.getByLabel('异议理由').fill(REASON)
  const chooser = page.waitForEvent('filechooser')
  await page.getByRole('button', { name: '添加证明图片' }).click()
  await (await chooser).setFiles({ name: 'evidence.png', mimeType: 'image/png', buffer: PNG })
  await expect(page.getByRole('img', { name: '证明图片 1' })).toBeVisible()
  await checkPage(page, 'publicity-form-filled')

  // A double tap: one objection.
  await page.getByRole('button', { name: '提交异议' }).dblclick()
  await expect(page.getByRole('heading', { name: '异议已提交' })).toBeVisible()
  const receipt = (await page.locator('.receipt-no').first().textContent())?.trim() ?? ''
  expect(receipt).toMatch(/^YY\d{4}-\d{6}$/)
  expect(sent).toHaveLength(1)
  await expect(page.getByText('处理状态：已收到')).toBeVisible()
  await checkPage(page, 'publicity-receipt')

  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('link', { name: '我的异议' }).click()
  await expect(pageTitle(page, '我的异议')).toBeVisible()
  const mine = page.getByRole('link', { name: new RegExp(`^异议 ${receipt}：`) })
  await expect(mine).toHaveAttribute('aria-label', `异议 ${receipt}：${zone}，已收到`)
  await checkPage(page, 'publicity-mine')

  await mine.click()
  await expect(pageTitle(page, '异议详情')).toBeVisible()
  await expect(page.getByText(`回执编号：${receipt}`).filter({ visible: true })).toBeVisible()
  await expect(page.getByText('处理状态：已收到').filter({ visible: true })).toBeVisible()
  await expect(page.getByText('异议已收到，将依法依规处理。').filter({ visible: true })).toBeVisible()
  await expect(page.getByRole('img', { name: '证明图片 1' })).toBeVisible()
  await checkPage(page, 'publicity-objection')
})

test('an empty reason and one over 2000 characters are shown next to the field, and nothing is sent', async ({ page }) => {
  await signIn(page, 'fp-hasty')
  const sent = objectionPosts(page)
  await openForm(page)
  await page.getByLabel('真实姓名').fill('李四')
  await page.getByLabel('手机号码').fill('13912345678')

  await page.getByRole('button', { name: '提交异议' }).click()
  const reasonField = page.locator('.field').filter({ has: page.getByLabel('异议理由') })
  await expect(reasonField.getByRole('alert')).toHaveText('请填写异议理由')
  await checkPage(page, 'publicity-form-empty-reason')

  await page.getByLabel('异议理由').fill('碳'.repeat(2001))
  await page.getByRole('button', { name: '提交异议' }).click()
  await expect(reasonField.getByRole('alert')).toHaveText('异议理由不能超过 2000 个字（现有 2001 个字），请精简')
  await checkPage(page, 'publicity-form-long-reason')
  expect(sent).toEqual([])
})

test('a reason being written comes back after a reload, without the name or phone, and goes once sent', async ({ page }) => {
  await signIn(page, 'fp-draft')
  await openForm(page)
  await page.getByLabel('真实姓名').fill('钱七')
  await page.getByLabel('手机号码').fill('13612345678')
  await page.getByLabel('异议理由').fill(REASON)
  await page.reload()
  await expect(pageTitle(page, '提出异议')).toBeVisible()
  await expect(page.getByLabel('异议理由')).toHaveValue(REASON)
  await expect(page.getByText(/^已恢复上次未提交的异议理由/)).toBeVisible()
  await expect(page.getByLabel('真实姓名')).toHaveValue('')
  await checkPage(page, 'publicity-form-draft-restored')

  await page.getByLabel('真实姓名').fill('钱七')
  await page.getByLabel('手机号码').fill('13612345678')
  await page.getByRole('button', { name: '提交异议' }).click()
  await expect(page.getByRole('heading', { name: '异议已提交' })).toBeVisible()
  const drafts = await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('lowcarbon.draft.')))
  expect(drafts).toEqual([])
})

test('an 11-digit number that is not a mobile is refused before sending', async ({ page }) => {
  await signIn(page, 'fp-landline')
  const sent = objectionPosts(page)
  await openForm(page)
  await page.getByLabel('真实姓名').fill('王五')
  await page.getByLabel('手机号码').fill('04318888888')
  await page.getByLabel('异议理由').fill(REASON)
  await page.getByRole('button', { name: '提交异议' }).click()
  const phoneField = page.locator('.field').filter({ has: page.getByLabel('手机号码') })
  await expect(phoneField.getByRole('alert')).toHaveText(/^这不是手机号码/)
  expect(sent).toEqual([])
})

test('a reason WeChat finds risky is refused in Chinese, the form kept, and the corrected one goes through', async ({ page }) => {
  await signIn(page, 'fp-risky')
  await openForm(page)
  await page.getByLabel('真实姓名').fill('赵六')
  await page.getByLabel('手机号码').fill('13712345678')
  await page.getByLabel('异议理由').fill(`${REASON}（含违禁内容）`)
  await page.getByRole('button', { name: '提交异议' }).click()
  await expect(page.getByRole('alert').filter({ hasText: '内容未通过微信内容安全检测，请修改后重新提交' })).toBeVisible()
  await expect(page.getByLabel('真实姓名')).toHaveValue('赵六')
  await checkPage(page, 'publicity-form-content-risky')

  await page.getByLabel('异议理由').fill(REASON)
  await page.getByRole('button', { name: '提交异议' }).click()
  await expect(page.getByRole('heading', { name: '异议已提交' })).toBeVisible()
})

test('a Hong Kong resident objects with their permit: a wrong number is said beside it, the right one goes as that document', async ({ page }) => {
  await signIn(page, 'fp-hongkong')
  const bodies: Record<string, unknown>[] = []
  page.on('request', (request) => {
    if (request.method() === 'POST' && /\/publicity\/\d+\/objections$/.test(request.url())) bodies.push(request.postDataJSON())
  })
  await openForm(page)
  await page.getByLabel('真实姓名').fill('陈大文')
  await page.getByLabel('手机号码').fill('+85291234567')
  await page.getByLabel('异议理由').fill(REASON)
  await page.getByRole('button', { name: '证件类型：港澳居民来往内地通行证' }).click()
  await page.getByLabel('证件号码（选填）').fill('12345678')
  await page.getByRole('button', { name: '提交异议' }).click()
  const documentField = page.locator('.field').filter({ has: page.getByLabel('证件号码（选填）') })
  await expect(documentField.getByRole('alert')).toHaveText('港澳居民来往内地通行证号码应为 H 或 M 加 8 位数字')
  expect(bodies).toEqual([])
  await page.getByLabel('证件号码（选填）').fill('H1234 5678')
  await page.getByRole('button', { name: '提交异议' }).click()
  await expect(page.getByRole('heading', { name: '异议已提交' })).toBeVisible()
  expect(bodies.map((body) => [body.id_type, body.id_number])).toEqual([['hk_macao_permit', 'H12345678']])
})

test('in large text the objection form and its notice stay within the phone', async ({ page }) => {
  await signIn(page, 'fp-large')
  await page.getByRole('switch', { name: '大字模式' }).click()
  await openForm(page)
  await page.waitForLoadState('networkidle')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await checkPage(page, 'publicity-form-large-text')
})

test('我的异议 signed out asks for the sign-in in place, then lists the objections', async ({ page }) => {
  await page.goto('./')
  await page.getByRole('link', { name: '全部公示与结果' }).click()
  await page.getByRole('link', { name: /^我的异议/ }).click()
  await expect(pageTitle(page, '我的异议')).toBeVisible()
  await checkPage(page, 'publicity-mine-signed-out')
  await page.getByRole('button', { name: '去登录' }).click()
  // Never signed in: asked to sign in, never told a sign-in expired.
  await expect(page.getByRole('alert').filter({ hasText: '请先登录' })).toBeVisible()
  await expect(page.getByText('登录已失效')).toHaveCount(0)
  await page.getByLabel('登录用户名', { exact: true }).filter({ visible: true }).fill('fp-newcomer')
  await page.getByRole('button', { name: '登录', exact: true }).filter({ visible: true }).click()
  await expect(page.getByText('您还没有提出过异议')).toBeVisible()
  await checkPage(page, 'publicity-mine-empty')
})
