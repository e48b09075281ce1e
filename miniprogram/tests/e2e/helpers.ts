import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'

export const SCREENS = join(__dirname, '..', '..', '..', 'test-artifacts', 'frontend-screens')

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
