import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { heading, pressable } from '@/components/a11y'
import { tabs } from '@/routes'

/** Every 我的 sub-page but the policy needs a sign-in: said plainly, with the way to 我的. */
export function NeedSignIn({ what }: { what: string }) {
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        请先登录
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        登录后可{what}。
      </Text>
      <View className='row'>
        <Button className='btn btn--primary' {...pressable('去“我的”登录')} onClick={() => Taro.switchTab({ url: tabs.me })}>
          去登录
        </Button>
      </View>
    </View>
  )
}
