/**
 * One piece of work at a time (pure, unit-tested): a second tap while the first tap's request is still
 * running does nothing. A disabled button alone is not enough: a double tap's second tap can land
 * before React has re-rendered the button as disabled.
 */
export interface Guard {
  readonly running: boolean
  /** Runs `work` unless work is already running (then resolves undefined at once, sending nothing). */
  run<T>(work: () => Promise<T>): Promise<T | undefined>
}

export function createGuard(onChange: (running: boolean) => void = () => undefined): Guard {
  let running = false
  return {
    get running() {
      return running
    },
    async run<T>(work: () => Promise<T>): Promise<T | undefined> {
      if (running) return undefined
      running = true
      onChange(true)
      try {
        return await work()
      } finally {
        running = false
        onChange(false)
      }
    },
  }
}
