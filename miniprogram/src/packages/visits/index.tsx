import { Text, View } from '@tarojs/components'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import WayOut from '@/components/WayOut'
import { idParam } from '@/lib/params'
import {
  type Base,
  type ClosedDay,
  type Slot,
  bookingWindow,
  dayLabel,
  localToday,
  releaseRule,
  slotAction,
  slotsByDay,
  slotState,
  slotTime,
  slotVerb,
} from '@/lib/visits'
import { routes, tabs, ways } from '@/routes'
import './visits.scss'

/**
 * A base's page: its notes and rules, and its slots with the places left, from today to the last day
 * of its booking window (the day released today included: it says when it opens).
 */
export default function BasePage() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const [base, setBase] = useState<Base | null>(null)
  const [days, setDays] = useState<string[]>([])
  const [slots, setSlots] = useState<Slot[] | null>(null)
  const [closed, setClosed] = useState<ClosedDay[]>([])
  const [failure, setFailure] = useState<Failure | null>(null)
  const today = localToday()

  const load = useCallback(async () => {
    if (id === null) return
    setFailure(null)
    try {
      // The window is the base's own (booking_days_ahead): its profile first, then its slots.
      const answer = await api.get<Base>(`/bases/${id}`)
      const window = bookingWindow(today, answer.profile)
      const range = { from: window[0], to: window[window.length - 1] }
      const [page, closures] = await Promise.all([
        api.get<Page<Slot>>(`/bases/${id}/slots`, range),
        api.get<Page<ClosedDay>>(`/bases/${id}/closures`, range),
      ])
      setBase(answer)
      setDays(window)
      setSlots(page.items)
      setClosed(closures.items)
      Taro.setNavigationBarTitle({ title: answer.name }).catch(() => undefined)
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [id, today])

  // Each time the page shows, not only the first: back from booking or cancelling, the places left moved.
  useDidShow(() => {
    load()
  })

  if (id === null) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          参观预约
        </Text>
        <View className='card' {...linkTo('选择教育基地')} onClick={() => Taro.switchTab({ url: tabs.visits })}>
          <Text className='card__title'>请先选择教育基地</Text>
        </View>
      </Screen>
    )
  }
  if (failure) {
    // A base that does not exist (404) gets no 重试, but the way to the list of bases.
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          参观预约
        </Text>
        <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} />
        <WayOut way={ways.bases} />
      </Screen>
    )
  }
  if (!base || !slots) {
    return (
      <Screen>
        <Loading />
      </Screen>
    )
  }

  const open = (slot: Slot) => {
    const action = slotAction(slot)
    if (action === 'none') return
    // individual_full opens the form unflagged: it chooses the waitlist for an individual, booking for a group.
    Taro.navigateTo({ url: routes.book(base.id, slot.id, slot.visit_date, action === 'waitlist') })
  }
  const profile = base.profile

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {base.name}
      </Text>
      <Text className='t-body muted' style={{ display: 'block' }}>
        {base.type_label}
        {base.district?.name ? ` · ${base.district.name}` : ''}
      </Text>
      {base.address ? (
        <Text className='t-small muted' style={{ display: 'block' }}>
          地址：{base.address}
        </Text>
      ) : null}
      {base.summary ? (
        <Text className='t-body' style={{ display: 'block', marginTop: '12px' }}>
          {base.summary}
        </Text>
      ) : null}

      {profile?.visitor_notes || profile?.opening_rules ? (
        <View className='section card'>
          <Text className='card__title' {...heading(2)}>
            参观须知
          </Text>
          {profile.visitor_notes ? (
            <Text className='t-body' style={{ display: 'block' }}>
              {profile.visitor_notes}
            </Text>
          ) : null}
          {profile.opening_rules ? (
            <Text className='t-body' style={{ display: 'block', marginTop: '8px' }}>
              开放规则：{profile.opening_rules}
            </Text>
          ) : null}
          {profile.contact_phone ? (
            <Text className='t-small muted' style={{ display: 'block', marginTop: '8px' }}>
              咨询电话：{profile.contact_phone}
            </Text>
          ) : null}
        </View>
      ) : null}

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          开放时段
        </Text>
        <Text className='t-small muted' style={{ display: 'block' }}>
          {releaseRule(profile)}
        </Text>
        {slots.length === 0 ? <Empty text='近期暂无开放时段' /> : null}
        {slotsByDay(days, slots, closed)
          .filter((d) => d.slots.length > 0 || d.closedReason !== null)
          .map(({ day, slots: daySlots, closedReason }) => (
            <View className='day' key={day}>
              <Text className='day__title t-body' {...heading(3)}>
                {dayLabel(day)}
              </Text>
              {closedReason !== null ? (
                <Text className='t-small day__closed' style={{ display: 'block' }}>
                  闭馆：{closedReason}（当天不接待参观）
                </Text>
              ) : null}
              {(closedReason !== null ? [] : daySlots).map((slot) => {
                const action = slotAction(slot)
                const state = slotState(slot, today)
                const label = `${dayLabel(day)} ${slotTime(slot)}，${state}${slotVerb(slot)}`
                const attrs = action === 'none' ? {} : pressable(label)
                return (
                  <View key={slot.id} className={`slot${action === 'none' ? ' slot--off' : ''}`} {...attrs} onClick={() => open(slot)}>
                    <Text className='slot__time t-body'>{slotTime(slot)}</Text>
                    <Text className='t-small muted'>{state}</Text>
                  </View>
                )
              })}
            </View>
          ))}
      </View>

      <View className='section card' {...linkTo('我的预约')} onClick={() => Taro.navigateTo({ url: routes.myBookings() })}>
        <Text className='card__title'>我的预约</Text>
        <Text className='card__meta'>查看核验码、取消预约、查看候补</Text>
      </View>
    </Screen>
  )
}
