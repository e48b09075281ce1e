import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import type { ZoneCard } from '@/api/types'
import { formatChange } from '@/lib/format'
import { amountText } from '@/lib/zone-extra'
import { routes } from '@/routes'
import { linkTo } from './a11y'

export default function ZoneCardView({ zone }: { zone: ZoneCard }) {
  const indicator = zone.indicator
  return (
    <View className='card' {...linkTo(`示范区：${zone.name}`)} onClick={() => Taro.navigateTo({ url: routes.zone(zone.id) })}>
      <Text className='card__title'>{zone.name}</Text>
      <View>
        <Text className='tag'>{zone.type_label}</Text>
        <Text className='tag'>{zone.level_label}</Text>
        <Text className='tag'>{zone.status_label}</Text>
        {zone.is_education_base ? <Text className='tag tag--base'>教育基地</Text> : null}
      </View>
      <Text className='card__meta'>
        {zone.district?.name}
        {zone.batch_year ? ` · ${zone.batch_year} 年度` : ''}
      </Text>
      {indicator && indicator.latest_value !== null ? (
        <Text className='card__meta'>
          {indicator.name}：<Text className='nowrap'>{amountText(indicator.latest_value, indicator.unit)}</Text>
          {indicator.change_percent !== null ? `（较基准年${formatChange(indicator.change_percent)}）` : ''}
        </Text>
      ) : null}
    </View>
  )
}
