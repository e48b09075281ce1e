import { useCallback, useEffect, useRef, useState } from 'react'
import { api, failureOf } from '@/api'
import { isSignedIn, useSession } from './session'

/**
 * One thing read from the API for a page (a zone, a notice, an article…): the value once loaded, the
 * Chinese message when the read failed, and `retry` for the 重试 button — undefined when retrying
 * cannot help (a 404, another person's record: see canRetry). `onLoaded` runs after each successful
 * read (e.g. to set the navigation bar's title); it is read from a ref so passing a new function on
 * every render does not read again.
 *
 * `path` null: the page's own query named nothing readable (`?id=abc`); nothing is asked of the
 * service and `missing` is the message (「找不到这个示范区」).
 *
 * `needsSignIn`: the thing is the person's own (a receipt, a booking). Signed out nothing is asked
 * (a request would only come back 401): `signInNeeded` is true and the page offers the sign-in; once
 * signed in, it is read.
 */
export function useResource<T>(
  path: string | null,
  onLoaded?: (value: T) => void,
  missing = '内容不存在或已下线',
  options: { needsSignIn?: boolean } = {},
) {
  const { user } = useSession()
  const signInNeeded = Boolean(options.needsSignIn) && path !== null && !isSignedIn()
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState(path === null ? missing : '')
  const [retryable, setRetryable] = useState(path !== null)
  const loaded = useRef(onLoaded)
  loaded.current = onLoaded

  const reload = useCallback(async () => {
    if (path === null) {
      setError(missing)
      setRetryable(false)
      return
    }
    setError('')
    try {
      const answer = await api.get<T>(path)
      setData(answer)
      loaded.current?.(answer)
    } catch (e) {
      const failure = failureOf(e)
      setError(failure.message)
      setRetryable(failure.retry)
    }
  }, [path, missing])

  // The person's own things are read again when who is signed in changes (a sign-in in place).
  const who = options.needsSignIn ? (user?.id ?? null) : null
  useEffect(() => {
    if (!signInNeeded) reload()
  }, [reload, signInNeeded, who])

  return { data, error, reload, retry: retryable ? reload : undefined, signInNeeded }
}
