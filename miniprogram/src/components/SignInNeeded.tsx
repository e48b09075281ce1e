import { Button, Text, View } from '@tarojs/components'
import { requestSignIn } from '@/lib/session'
import { heading, pressable } from './a11y'
import Screen from './Screen'

/** 「请先登录」 and what signing in allows, with the way to sign in (`label` is its spoken name). */
export function SignInCard({ what, label, onSignIn }: { what: string; label: string; onSignIn: () => void }) {
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        请先登录
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        登录后可{what}。
      </Text>
      <View className='row'>
        <Button className='btn btn--primary' {...pressable(label)} onClick={onSignIn}>
          去登录
        </Button>
      </View>
    </View>
  )
}

/**
 * A page showing the person's own record (a receipt, a booking), opened signed out (a shared or saved
 * link): 「请先登录」 and the sign-in in place, above the page — never 「登录已失效」 nor an error box.
 * Once signed in, the page reads the record.
 */
export default function SignInNeeded({ title, what }: { title: string; what: string }) {
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {title}
      </Text>
      <SignInCard what={what} label='去登录' onSignIn={() => requestSignIn()} />
    </Screen>
  )
}
