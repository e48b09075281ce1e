/**
 * What a page shows for a list it reads (pure, unit-tested): an empty state only when the list was
 * read and is empty — never under an error saying the list could not be read.
 */
import type { Failure } from '@/api/request'

export type ListView = 'loading' | 'failed' | 'empty' | 'list'

export function listView(items: readonly unknown[] | null, failure: Failure | null): ListView {
  if (failure) return 'failed'
  if (items === null) return 'loading'
  return items.length ? 'list' : 'empty'
}

/**
 * Several reads of one page that failed, as the one error box it shows: each message once, and 重试
 * when retrying can help any of them (重试 then reads again everything that failed).
 */
export function combineFailures(failures: readonly (Failure | null | undefined)[]): Failure | null {
  const failed = failures.filter((f): f is Failure => Boolean(f))
  if (!failed.length) return null
  return { message: [...new Set(failed.map((f) => f.message))].join('；'), retry: failed.some((f) => f.retry) }
}
