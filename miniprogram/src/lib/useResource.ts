import { useCallback, useEffect, useRef, useState } from 'react'
import { api, messageOf } from '@/api'

/**
 * One thing read from the API for a page (a zone, a notice, an article…): the value once loaded, the
 * Chinese message when the read failed, and `reload` for the 重试 button. `onLoaded` runs after each
 * successful read (e.g. to set the navigation bar's title); it is read from a ref so passing a new
 * function on every render does not read again.
 */
export function useResource<T>(path: string, onLoaded?: (value: T) => void) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState('')
  const loaded = useRef(onLoaded)
  loaded.current = onLoaded

  const reload = useCallback(async () => {
    setError('')
    try {
      const answer = await api.get<T>(path)
      setData(answer)
      loaded.current?.(answer)
    } catch (e) {
      setError(messageOf(e))
    }
  }, [path])

  useEffect(() => {
    reload()
  }, [reload])

  return { data, error, reload }
}
