/**
 * h5 development sign-in through the bundled fake WeChat: it accepts `name:N` codes, each once; the
 * name keeps the same person across sign-ins, N makes every code new.
 */
export function devCode(name: string, now: number = Date.now(), random: () => number = Math.random): string {
  return `${name.trim()}:${now}${Math.floor(random() * 1e6)}`
}

/** The form rule for the typed name (the fake takes letters, digits, _ and -): a Chinese message, or ''. */
export function devNameProblem(name: string): string {
  return /^[A-Za-z0-9_-]{1,32}$/.test(name.trim()) ? '' : '请输入 1 至 32 位字母或数字'
}
