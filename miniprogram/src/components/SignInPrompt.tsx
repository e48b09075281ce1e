import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'
import { messageOf } from '@/api'
import { dismissSignIn, signInWithWeChat, useSession } from '@/lib/session'
import { alertRole, pressable } from './a11y'

/** Shown by <Screen> after a 401: sign in again here (weapp) or on 我的 (h5), then repeat the action. */
export default function SignInPrompt() {
  const { signInRequested } = useSession()
  const [error, setError] = useState('')
  if (!signInRequested) return null
  const signIn = async () => {
    setError('')
    if (process.env.TARO_ENV === 'h5') {
      dismissSignIn()
      Taro.switchTab({ url: '/pages/me/index' })
      return
    }
    try {
      await signInWithWeChat()
    } catch (e) {
      setError(messageOf(e))
    }
  }
  return (
    <View className='notice notice--warn' {...alertRole()}>
      <Text className='t-body'>登录已失效，请重新登录后再提交，已填写的内容会保留。</Text>
      {error ? <Text className='t-body error-text'>{error}</Text> : null}
      <View className='row'>
        <Button className='btn btn--primary' {...pressable('重新登录')} onClick={signIn}>
          重新登录
        </Button>
        <Button className='btn' {...pressable('暂不登录')} onClick={dismissSignIn}>
          暂不登录
        </Button>
      </View>
    </View>
  )
}
