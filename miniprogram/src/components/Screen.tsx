import { View } from '@tarojs/components'
import { useDidHide, useUnload } from '@tarojs/taro'
import type { ReactNode } from 'react'
import { dismissSignIn } from '@/lib/session'
import { useSettings } from '@/lib/settings'
import { mainRole } from './a11y'
import ConsentPrompt from './MeConsentPrompt'
import SignInPrompt from './SignInPrompt'

/**
 * Every page's root: applies the large-text class (适老化; every font size in app.scss has a larger
 * value under `.large-text`) and shows the sign-in prompt when a request found the token expired,
 * above the page, so nothing typed is lost; likewise the privacy policy's consent when it is due.
 * The sign-in prompt belongs to the page that asked: leaving the page puts it away, so it never
 * follows the person to the next (often public) page.
 */
export default function Screen({ children, className }: { children: ReactNode; className?: string }) {
  const { largeText } = useSettings()
  useDidHide(dismissSignIn)
  useUnload(dismissSignIn)
  return (
    <View className={`screen${largeText ? ' large-text' : ''}${className ? ` ${className}` : ''}`} {...mainRole()}>
      <SignInPrompt />
      <ConsentPrompt />
      {children}
    </View>
  )
}
