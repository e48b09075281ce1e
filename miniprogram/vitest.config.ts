import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

// Unit tests of the plain modules (request, filters, formatting, scoreboard): no Taro, no browser.
export default defineConfig({
  resolve: { alias: { '@': resolve(__dirname, 'src') } },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', 'junit'],
    outputFile: { junit: '../test-artifacts/frontend-unit.xml' },
  },
})
