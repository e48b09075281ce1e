import { expect, test } from '@playwright/test'
import { checkPage, openTab, pageTitle } from './helpers'

test('a reader searches the knowledge in Chinese and opens an article', async ({ page }) => {
  await page.goto('./')
  await page.getByRole('link', { name: '搜索低碳知识' }).click()
  await expect(pageTitle(page, '低碳知识')).toBeVisible()
  await expect(page.getByText(/^共 \d+ 篇文章$/)).toBeVisible()
  await checkPage(page, 'knowledge')

  await page.getByLabel('搜索文章').fill('光伏')
  await page.getByRole('button', { name: '搜索' }).click()
  await expect(page.getByText(/^找到 \d+ 篇文章$/)).toBeVisible()
  const cards = page.getByRole('link', { name: /^文章：/ })
  await expect(page.getByRole('link', { name: /^文章：.*光伏/ }).first()).toBeVisible()
  await checkPage(page, 'knowledge-search')

  const title = ((await cards.first().getAttribute('aria-label')) ?? '').replace(/^文章：/, '')
  await cards.first().click()
  await expect(pageTitle(page, title)).toBeVisible()
  const body = page.locator('.article-body')
  await expect(body.getByRole('heading').first()).toBeVisible()
  await expect(body.locator('script, iframe, [onerror], [onclick]')).toHaveCount(0)
  await checkPage(page, 'knowledge-article')
})

test('a reader filters by category, and a search that finds nothing says so', async ({ page }) => {
  await page.goto('./')
  await page.getByRole('link', { name: '搜索低碳知识' }).click()
  await page.getByRole('button', { name: '分类：低碳生活' }).click()
  await expect(page.getByRole('button', { name: '分类：低碳生活' })).toHaveAttribute('aria-pressed', 'true')
  await expect(page.getByText(/^找到 \d+ 篇文章$/)).toBeVisible()
  const cards = page.getByRole('link', { name: /^文章：/ })
  await expect(cards.first()).toBeVisible()
  const count = await cards.count()
  for (let i = 0; i < count; i++) {
    await expect(cards.nth(i).getByText(/^低碳生活/)).toBeVisible()
  }
  await page.getByLabel('搜索文章').fill('完全不存在的词语')
  await page.getByRole('button', { name: '搜索' }).click()
  await expect(page.getByText('没有找到相关文章，换个词试试')).toBeVisible()
  await checkPage(page, 'knowledge-nothing')
})

test('in large text an article stays within the phone', async ({ page }) => {
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('switch', { name: '大字模式' }).click()
  await openTab(page, '首页')
  await page.getByRole('link', { name: /^文章：/ }).first().click()
  await expect(page.locator('.article-body').getByRole('heading').first()).toBeVisible()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)
  await checkPage(page, 'knowledge-article-large-text')
})
