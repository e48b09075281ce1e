import { useRef } from 'react'
import { newSubmission, type Submission } from './request'

/**
 * The submission (Idempotency-Key) of the form on screen: the same on every tap and retry until
 * `submission.done()` after a success. One per form instance: a page showing two forms calls it twice.
 */
export function useSubmission(): Submission {
  const ref = useRef<Submission | null>(null)
  if (ref.current === null) ref.current = newSubmission()
  return ref.current
}
