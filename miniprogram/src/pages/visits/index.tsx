import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page, ZoneCard } from '@/api/types'
import { heading, linkTo } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { useSession } from '@/lib/session'
import { routes } from '@/routes'

const DOOR_ROLES = ['base_operator', 'institute_staff', 'admin']

/** The 参观 tab (main package, as every tab must be): the education bases; booking is in packages/visits. */
export default function Visits() {
  const { user } = useSession()
  const atTheDoor = (user?.roles ?? []).some((role) => DOOR_ROLES.includes(role))
  const [bases, setBases] = useState<ZoneCard[] | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const load = useCallback(async () => {
    setFailure(null)
    try {
      setBases((await api.get<Page<ZoneCard>>('/bases', { per_page: 50 })).items)
    } catch (e) {
      setFailure(failureOf(e))
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
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {!bases && !failure ? <Loading /> : null}
      {bases && bases.length === 0 ? <Empty text='暂无开放预约的基地' /> : null}
      <View className='row'>
        <View className='card' style={{ flex: '1 1 40%' }} {...linkTo('我的预约')} onClick={() => Taro.navigateTo({ url: routes.myBookings() })}>
          <Text className='card__title'>我的预约</Text>
          <Text className='card__meta'>核验码、取消预约</Text>
        </View>
        {atTheDoor ? (
          <View className='card' style={{ flex: '1 1 40%' }} {...linkTo('扫码核验')} onClick={() => Taro.navigateTo({ url: routes.door() })}>
            <Text className='card__title'>扫码核验</Text>
            <Text className='card__meta'>基地工作人员核验入馆</Text>
          </View>
        ) : null}
      </View>
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
