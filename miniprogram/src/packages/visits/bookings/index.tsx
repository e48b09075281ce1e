import { Text, View } from '@tarojs/components'
import Taro, { useDidShow } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { type Base, type Booking, dayLabel, slotTime } from '@/lib/visits'
import { isSignedIn } from '@/lib/session'
import { routes, tabs } from '@/routes'
import '../visits.scss'

/** 我的预约: every booking of the signed-in person, newest first; each opens its code and its cancel. */
export default function MyBookings() {
  const [bookings, setBookings] = useState<Booking[] | null>(null)
  const [names, setNames] = useState<Record<number, string>>({})
  const [failure, setFailure] = useState<Failure | null>(null)
  const signedIn = isSignedIn()

  const load = useCallback(async () => {
    if (!isSignedIn()) return
    setFailure(null)
    try {
      const [mine, bases] = await Promise.all([
        api.get<Page<Booking>>('/me/bookings', { per_page: 50 }),
        api.get<Page<Base>>('/bases', { per_page: 50 }),
      ])
      setBookings(mine.items)
      setNames(Object.fromEntries(bases.items.map((b) => [b.id, b.name])))
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [])

  // Again on every return (a booking cancelled on its page shows cancelled here).
  useDidShow(() => {
    load()
  })

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的预约
      </Text>
      {!signedIn ? (
        <View className='card' {...linkTo('去登录')} onClick={() => Taro.switchTab({ url: tabs.me })}>
          <Text className='card__title'>请先登录</Text>
          <Text className='card__meta'>登录后可查看您的预约，点此前往“我的”登录。</Text>
        </View>
      ) : null}
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {signedIn && !bookings && !failure ? <Loading /> : null}
      {bookings && bookings.length === 0 ? <Empty text='您还没有参观预约' /> : null}
      {(bookings ?? []).map((b) => {
        const where = names[b.base_id] ?? '教育基地'
        const when = `${dayLabel(b.visit_date)} ${slotTime(b.slot)}`
        const who = b.kind === 'group' ? `团体 ${b.headcount} 人` : `${b.headcount} 人`
        return (
          <View className='card' key={b.id} {...linkTo(`预约：${where} ${when}，${b.status_label}`)} onClick={() => Taro.navigateTo({ url: routes.booking(b.id) })}>
            <Text className='card__title'>{where}</Text>
            <Text className='t-body' style={{ display: 'block' }}>
              {when}
            </Text>
            <Text className='card__meta'>
              {b.status_label} · {who}
            </Text>
          </View>
        )
      })}
    </Screen>
  )
}
