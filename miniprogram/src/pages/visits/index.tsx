import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { api, messageOf } from '@/api'
import type { Page, ZoneCard } from '@/api/types'
import { heading, linkTo } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { routes } from '@/routes'

/** The 参观 tab (main package, as every tab must be): the education bases; booking is in packages/visits. */
export default function Visits() {
  const [bases, setBases] = useState<ZoneCard[] | null>(null)
  const [error, setError] = useState('')
  const load = useCallback(async () => {
    setError('')
    try {
      setBases((await api.get<Page<ZoneCard>>('/bases', { per_page: 50 })).items)
    } catch (e) {
      setError(messageOf(e))
    }
  }, [])
  useEffect(() => {
    load()
  }, [load])
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        低碳教育基地
      </Text>
      <Text className='t-body muted'>选择基地，查看开放时段并预约参观。</Text>
      {error ? <ErrorNotice message={error} onRetry={load} /> : null}
      {!bases && !error ? <Loading /> : null}
      {bases && bases.length === 0 ? <Empty text='暂无开放预约的基地' /> : null}
      <View className='section'>
        {(bases ?? []).map((b) => (
          <View className='card' key={b.id} {...linkTo(`基地：${b.name}`)} onClick={() => Taro.navigateTo({ url: routes.base(b.id) })}>
            <Text className='card__title'>{b.name}</Text>
            <Text className='card__meta'>
              {b.type_label} · {b.district?.name}
            </Text>
          </View>
        ))}
      </View>
    </Screen>
  )
}
