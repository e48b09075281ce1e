/** GET /meta once per app run: labels for types, levels, statuses, districts; whether dev sign-in is offered. */
import { useEffect } from 'react'
import { api } from '@/api'
import type { Meta } from '@/api/types'
import { createStore, useStore } from './store'

const meta = createStore<Meta | null>(null)
let loading: Promise<Meta> | null = null

export function loadMeta(): Promise<Meta> {
  if (!loading) {
    loading = api.get<Meta>('/meta').then(
      (value) => {
        meta.set(value)
        return value
      },
      (error) => {
        loading = null // a later page may try again
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
