import { SignInCard } from '@/components/SignInNeeded'
import { requestSignIn } from '@/lib/session'

/**
 * Every 我的 sub-page but the policy needs a sign-in: said plainly, and signed in in place (the prompt
 * above the page), so what the page was opened with stays: a guardian's code from the child's link
 * had been lost by sending the parent to 我的.
 */
export function NeedSignIn({ what }: { what: string }) {
  return <SignInCard what={what} label='去登录' onSignIn={() => requestSignIn()} />
}
