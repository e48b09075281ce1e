import { Button, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import type { Way } from '@/routes'
import { pressable } from './a11y'

/** The button to the list a page belongs to (src/routes.ts `ways`): the broken page is replaced, not stacked. */
export default function WayOut({ way }: { way: Way }) {
  const go = () => (way.tab ? Taro.switchTab({ url: way.url }) : Taro.redirectTo({ url: way.url })).catch(() => undefined)
  return (
    <View className='row'>
      <Button className='btn' {...pressable(way.label)} onClick={go}>
        {way.label}
      </Button>
    </View>
  )
}
