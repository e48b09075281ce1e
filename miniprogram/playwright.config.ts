import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineConfig } from '@playwright/test'

// The real service (scripts/frontend_server.py: migrated, demo data, fake WeChat, /h5/ served),
// on SQLite, or on PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set.
const repo = resolve(__dirname, '..')
const venvPython = join(repo, '.venv', 'bin', 'python')
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3')
// A port of this checkout's own (two checkouts on one machine test side by side); E2E_PORT to choose.
function checkoutPort(): number {
  let hash = 0
  for (const ch of repo) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0
  return 20000 + (hash % 20000)
}
const port = Number(process.env.E2E_PORT || checkoutPort())
const origin = `http://127.0.0.1:${port}`

export default defineConfig({
  testDir: './tests/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1, // one service, one database: journeys run in order
  retries: 0,
  reporter: [['list'], ['junit', { outputFile: '../test-artifacts/frontend-e2e.xml' }]],
  outputDir: '../test-artifacts/frontend-e2e-results',
  use: {
    baseURL: `${origin}/h5/`,
    viewport: { width: 375, height: 812 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `"${python}" scripts/frontend_server.py --port ${port}`,
    cwd: repo,
    url: `${origin}/healthz`,
    timeout: 120_000,
    reuseExistingServer: process.env.E2E_REUSE === '1',
    stdout: 'ignore',
    stderr: 'pipe',
  },
})
