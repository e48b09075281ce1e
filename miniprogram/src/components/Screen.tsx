import { Text, View } from '@tarojs/components'
import Taro, { useDidHide, useDidShow, useUnload } from '@tarojs/taro'
import { type ReactNode, useEffect, useState } from 'react'
import { dismissSignIn } from '@/lib/session'
import { useSettings } from '@/lib/settings'
import { tabs } from '@/routes'
import { linkTo, mainRole } from './a11y'
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
  const alone = useOpenedFromLink()
  useDidHide(dismissSignIn)
  useUnload(dismissSignIn)
  return (
    <View className={`screen${largeText ? ' large-text' : ''}${className ? ` ${className}` : ''}`} {...mainRole()}>
      {alone ? (
        <Text className='home-link t-small' {...linkTo('返回首页')} onClick={() => Taro.switchTab({ url: tabs.home }).catch(() => undefined)}>
          ‹ 返回首页
        </Text>
      ) : null}
      <SignInPrompt />
      <ConsentPrompt />
      {children}
    </View>
  )
}

/**
 * h5: whether this page, not a tab, is the only one open (a shared link opened in a new tab). It then
 * has no way into the rest of the app: h5 shows no navigation bar and no tab bar on such a page, and
 * the browser's back leaves the site. (WeChat puts a home button on such a page itself.)
 */
function useOpenedFromLink(): boolean {
  const [alone, setAlone] = useState(false)
  const look = () => {
    if (process.env.TARO_ENV !== 'h5') return
    const pages = Taro.getCurrentPages()
    const route = `/${String(pages[pages.length - 1]?.route ?? '').replace(/^\//, '').split('?')[0]}`
    setAlone(pages.length <= 1 && !(Object.values(tabs) as string[]).includes(route))
  }
  useEffect(look, []) // the page's first show came before this component was there to hear it
  useDidShow(look)
  return alone
}
