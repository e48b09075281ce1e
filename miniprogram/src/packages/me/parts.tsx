import Taro from '@tarojs/taro'
import { SignInCard } from '@/components/SignInNeeded'
import { tabs } from '@/routes'

/** Every 我的 sub-page but the policy needs a sign-in: said plainly, with the way to 我的. */
export function NeedSignIn({ what }: { what: string }) {
  return <SignInCard what={what} label='去“我的”登录' onSignIn={() => Taro.switchTab({ url: tabs.me })} />
}
