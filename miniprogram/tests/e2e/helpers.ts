import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { type APIRequestContext, expect, type Page } from '@playwright/test'

export const SCREENS = join(__dirname, '..', '..', '..', 'test-artifacts', 'frontend-screens')

/** A valid 1×1 PNG (the service decodes every upload whole): an evidence image or a check-in photo. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64')

/** Keep a 375×812 screenshot of the page as a test artifact, and let axe-core check it. */
export async function checkPage(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true })
  await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze()
  const grave = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
  expect(grave, `axe on ${name}`).toEqual([])
}

/** The tab bar at the bottom, by its Chinese label. */
export async function openTab(page: Page, label: '首页' | '示范区' | '参观' | '我的'): Promise<void> {
  await page.locator('.weui-tabbar').getByText(label, { exact: true }).click()
}

/** The visible page's first heading. */
export function pageTitle(page: Page, name: string | RegExp) {
  return page.getByRole('heading', { level: 1, name })
}

/** The privacy policy's prompt above the page (after the first sign-in, or a write answered 428). */
export function consentPrompt(page: Page) {
  return page.getByRole('region', { name: '隐私保护指引', exact: true })
}

/** Accept the privacy policy as a person would: read the prompt, tap 同意. */
export async function acceptPolicy(page: Page): Promise<void> {
  const prompt = consentPrompt(page)
  await expect(prompt.getByRole('region', { name: '隐私保护指引全文' })).toBeVisible()
  await prompt.getByRole('button', { name: '同意隐私保护指引' }).click()
  await expect(prompt).toBeHidden()
}

/**
 * The development sign-in on 我的 as a new person would do it: type a name, sign in, and accept the
 * privacy policy in the prompt that follows the first sign-in (every journey's person is new).
 */
export async function signIn(page: Page, name: string, { accept = true }: { accept?: boolean } = {}): Promise<void> {
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByLabel('开发用登录用户名').fill(name)
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  if (accept) await acceptPolicy(page)
}

/** A person created through the API (not the page) accepts the current policy the same way the page does. */
export async function acceptPolicyByApi(request: APIRequestContext, token: string): Promise<void> {
  const headers = { Authorization: `Bearer ${token}` }
  const policy = await request.get('/api/mp/v1/policies/privacy')
  const { version } = (await policy.json()) as { version: string }
  const accepted = await request.post('/api/mp/v1/me/consents', { headers, data: { document: 'privacy', version } })
  expect(accepted.ok(), 'accepting the privacy policy').toBe(true)
}
