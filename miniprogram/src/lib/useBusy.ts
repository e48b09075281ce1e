import { useRef, useState } from 'react'
import { createGuard, type Guard } from './guard'

/**
 * `busy` for the button's disabled state and `run(work)` for its tap handler: a double tap sends one
 * request (src/lib/guard.ts), as the booking form does.
 */
export function useBusy(): { busy: boolean; run: Guard['run'] } {
  const [busy, setBusy] = useState(false)
  const guard = useRef<Guard | null>(null)
  if (guard.current === null) guard.current = createGuard(setBusy)
  return { busy, run: guard.current.run }
}
