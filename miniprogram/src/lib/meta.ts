/** GET /meta once per app run: labels for types, levels, statuses, districts; whether dev sign-in is offered. */
import { useEffect } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Meta } from '@/api/types'
import { createStore, useStore } from './store'

const meta = createStore<Meta | null>(null)
/** Why the last GET /meta failed (null while none failed): a page depending on it says so, with 重试. */
export const metaFailure = createStore<Failure | null>(null)
let loading: Promise<Meta> | null = null

export function loadMeta(): Promise<Meta> {
  if (!loading) {
    metaFailure.set(null)
    loading = api.get<Meta>('/meta').then(
      (value) => {
        meta.set(value)
        return value
      },
      (error) => {
        loading = null // a later page (or 重试) may try again
        metaFailure.set(failureOf(error))
        throw error
      },
    )
  }
  return loading
}

export function useMeta(): Meta | null {
  const value = useStore(meta)
  useEffect(() => {
    loadMeta().catch(() => undefined)
  }, [])
  return value
}

/** The failure of GET /meta, when it failed and has not been read since. */
export const useMetaFailure = () => useStore(metaFailure)
