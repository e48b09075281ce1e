/**
 * 我的 signed out with the network failing: /meta (which says how to sign in on h5) failed, so the page
 * must say why and offer a 重试 that asks again (src/lib/meta.ts, with the API client faked).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { toApiError } from '@/api/request'
import { loadMeta, metaFailure } from '@/lib/meta'

const get = vi.fn()
vi.mock('@/api', async () => {
  const request = await vi.importActual<typeof import('@/api/request')>('@/api/request')
  return { api: { get: (...args: unknown[]) => get(...args) }, failureOf: request.failureOf }
})

describe('GET /meta failing (我的 signed out, offline)', () => {
  beforeEach(() => {
    get.mockReset()
    metaFailure.set(null)
  })

  it('the failure is kept for the page to say', async () => {
    get.mockRejectedValueOnce(toApiError(null))
    await loadMeta().catch(() => undefined)
    expect(metaFailure.get()?.message).toBe('网络连接失败，请检查网络后重试')
  })

  it('with 重试, since the network may come back', async () => {
    get.mockRejectedValueOnce(toApiError(null))
    await loadMeta().catch(() => undefined)
    expect(metaFailure.get()?.retry).toBe(true)
  })

  it('重试 asks again, and the failure goes once it answers', async () => {
    get.mockRejectedValueOnce(toApiError(null)).mockResolvedValueOnce({ types: [], levels: [], statuses: [], districts: [], dev_login: true })
    await loadMeta().catch(() => undefined)
    await loadMeta()
    expect(metaFailure.get()).toBeNull()
  })
})
