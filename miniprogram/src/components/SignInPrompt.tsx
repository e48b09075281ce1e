import { Button, Input, Text, View } from '@tarojs/components'
import { useState } from 'react'
import { messageOf } from '@/api'
import { devNameProblem } from '@/lib/devlogin'
import { useMeta } from '@/lib/meta'
import { devLoginOffered, dismissSignIn, signInAsDeveloper, signInWithWeChat, useSession } from '@/lib/session'
import { signInWording } from '@/lib/signin-text'
import { useBusy } from '@/lib/useBusy'
import { alertRole, inputLabel, pressable } from './a11y'
import { FieldError } from './Status'

/**
 * Shown by <Screen> above the page after a 401, or when the page asks for a sign-in first. The
 * sign-in happens here, without leaving the page, so a half-filled form stays as it is: sign in, then
 * tap its button again (same Idempotency-Key).
 */
export default function SignInPrompt() {
  const { signInRequested, signInExpired } = useSession()
  const meta = useMeta()
  const [name, setName] = useState('')
  const [nameError, setNameError] = useState('')
  const [error, setError] = useState('')
  const { busy, run } = useBusy()
  if (!signInRequested) return null
  const dev = devLoginOffered(meta)
  const weapp = process.env.TARO_ENV === 'weapp'
  const words = signInWording(signInExpired)

  const signIn = () =>
    run(async () => {
      setError('')
      if (!weapp) {
        const problem = devNameProblem(name)
        setNameError(problem)
        if (problem) return
      }
      try {
        await (weapp ? signInWithWeChat() : signInAsDeveloper(name.trim()))
      } catch (e) {
        setError(messageOf(e))
      }
    })
  return (
    <View className='notice notice--warn' {...alertRole()}>
      <Text className='t-body'>{words.message}</Text>
      {error ? <Text className='t-body error-text'>{error}</Text> : null}
      {!weapp && dev ? (
        <View className='field'>
          <Text className='field__label'>开发用登录（模拟微信）：用户名</Text>
          <Input className='input' value={name} {...inputLabel(words.nameLabel)} onInput={(e) => setName(e.detail.value)} />
          <FieldError message={nameError} />
        </View>
      ) : null}
      {!weapp && !dev ? <Text className='t-body muted'>请在微信中打开小程序登录。</Text> : null}
      <View className='row'>
        {weapp || dev ? (
          <Button className='btn btn--primary' disabled={busy || undefined} {...pressable(words.button, { disabled: busy })} onClick={signIn}>
            {words.button}
          </Button>
        ) : null}
        <Button className='btn' {...pressable('暂不登录')} onClick={dismissSignIn}>
          暂不登录
        </Button>
      </View>
    </View>
  )
}
