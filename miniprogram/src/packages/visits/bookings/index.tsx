import { Button, Text, View } from '@tarojs/components'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { ApiError, api, type Failure, failureOf, messageOf, newSubmission, type Submission } from '@/api'
import type { Page } from '@/api/types'
import { alertRole, heading, linkTo, pressable, statusRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { listView } from '@/lib/load-state'
import { useBusy } from '@/lib/useBusy'
import { type Base, type Booking, type WaitlistEntry, canWithdraw, dayLabel, slotTime, waitlistState, withdrawRefusal } from '@/lib/visits'
import { isSignedIn } from '@/lib/session'
import { routes, tabs } from '@/routes'
import '../visits.scss'

type Tab = 'bookings' | 'waitlist'

/**
 * 我的预约: every booking of the signed-in person, newest first (each opens its code and its cancel),
 * and on the 候补 tab the waitlist requests, each withdrawn while it waits or leading to its booking.
 */
export default function MyBookings() {
  const { params } = useRouter()
  const [tab, setTab] = useState<Tab>(params.show === 'waitlist' ? 'waitlist' : 'bookings')
  const [bookings, setBookings] = useState<Booking[] | null>(null)
  const [names, setNames] = useState<Record<number, string>>({})
  const [failure, setFailure] = useState<Failure | null>(null)
  const [waitlist, setWaitlist] = useState<WaitlistEntry[] | null>(null)
  const [waitlistFailure, setWaitlistFailure] = useState<Failure | null>(null)
  const signedIn = isSignedIn()

  const loadBookings = useCallback(async () => {
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

  const loadWaitlist = useCallback(async () => {
    if (!isSignedIn()) return
    setWaitlistFailure(null)
    try {
      setWaitlist((await api.get<Page<WaitlistEntry>>('/me/waitlist', { per_page: 50 })).items)
    } catch (e) {
      setWaitlistFailure(failureOf(e))
    }
  }, [])

  // Again on every return (a booking cancelled on its page shows cancelled here; a request booked meanwhile shows booked).
  useDidShow(() => {
    loadBookings()
    loadWaitlist()
  })

  const waiting = (waitlist ?? []).filter(canWithdraw).length
  const tabLabels: { code: Tab; label: string }[] = [
    { code: 'bookings', label: '预约' },
    { code: 'waitlist', label: waiting ? `候补（${waiting}）` : '候补' },
  ]

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的预约
      </Text>
      {!signedIn ? (
        <View className='card' {...linkTo('去登录')} onClick={() => Taro.switchTab({ url: tabs.me })}>
          <Text className='card__title'>请先登录</Text>
          <Text className='card__meta'>登录后可查看您的预约和候补，点此前往“我的”登录。</Text>
        </View>
      ) : (
        <View>
          <View className='row'>
            {tabLabels.map((t) => (
              <Text
                key={t.code}
                className={`chip${t.code === tab ? ' chip--on' : ''}`}
                {...pressable(t.label, { pressed: t.code === tab })}
                onClick={() => setTab(t.code)}
              >
                {t.label}
              </Text>
            ))}
          </View>
          {tab === 'bookings' ? (
            <BookingList bookings={bookings} names={names} failure={failure} onRetry={loadBookings} />
          ) : (
            <WaitlistList entries={waitlist} failure={waitlistFailure} onReload={loadWaitlist} />
          )}
        </View>
      )}
    </Screen>
  )
}

function BookingList(props: { bookings: Booking[] | null; names: Record<number, string>; failure: Failure | null; onRetry: () => void }) {
  const { bookings, names, failure, onRetry } = props
  const view = listView(bookings, failure)
  if (view === 'failed' && failure) return <ErrorNotice message={failure.message} onRetry={failure.retry ? onRetry : undefined} />
  if (view === 'loading') return <Loading />
  if (view === 'empty') return <Empty text='您还没有参观预约' />
  return (
    <View>
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
    </View>
  )
}

/**
 * The waitlist requests, newest first. 取消候补 asks first; the DELETE carries one Idempotency-Key per
 * confirmation (a retry after a dropped connection withdraws once, another request gets its own key).
 */
function WaitlistList({ entries, failure, onReload }: { entries: WaitlistEntry[] | null; failure: Failure | null; onReload: () => Promise<void> }) {
  const { busy, run } = useBusy()
  const [confirming, setConfirming] = useState<number | null>(null)
  const [outcome, setOutcome] = useState<{ id: number; text: string; ok: boolean } | null>(null)
  const submission = useRef<Submission | null>(null)

  const ask = (id: number) => {
    submission.current = newSubmission()
    setOutcome(null)
    setConfirming(id)
  }

  const withdraw = (entry: WaitlistEntry) =>
    run(async () => {
      setOutcome(null)
      try {
        await api.del<WaitlistEntry>(`/waitlist/${entry.id}`, { submission: submission.current ?? undefined })
        setOutcome({ id: entry.id, text: '已取消候补。', ok: true })
      } catch (e) {
        setOutcome({ id: entry.id, text: (e instanceof ApiError && withdrawRefusal(e.code, e.details)) || messageOf(e), ok: false })
        // A dropped connection or a busy service: the confirmation stays for another tap (same key).
        if (!(e instanceof ApiError && (e.kind === 'conflict' || e.kind === 'not_found'))) return
      }
      setConfirming(null)
      await onReload() // its new state (已取消, or booked meanwhile) from the service
    })

  const view = listView(entries, failure)
  if (view === 'failed' && failure) return <ErrorNotice message={failure.message} onRetry={failure.retry ? onReload : undefined} />
  if (view === 'loading') return <Loading />
  if (view === 'empty') return <Empty text='您还没有加入候补' />
  return (
    <View>
      <Text className='t-small muted' style={{ display: 'block', marginTop: '12px' }}>
        候补的时段有人取消时，将按先后顺序自动为您预约，并通知您。
      </Text>
      {(entries ?? []).map((entry) => {
        const where = entry.base_name || '教育基地'
        const when = `${dayLabel(entry.visit_date)} ${slotTime(entry.slot)}`
        const said = outcome?.id === entry.id ? outcome : null
        return (
          <View className='card' key={entry.id}>
            <Text className='card__title'>{where}</Text>
            <Text className='t-body' style={{ display: 'block' }}>
              {when}
            </Text>
            <Text className='card__meta'>{waitlistState(entry)}</Text>
            {said ? (
              <View className={said.ok ? 'result result--ok' : 'notice notice--error'} style={{ marginTop: '12px' }} {...(said.ok ? statusRole() : alertRole())}>
                <Text className='t-body'>{said.text}</Text>
              </View>
            ) : null}
            {canWithdraw(entry) && confirming === entry.id ? (
              <View>
                <Text className='t-body' style={{ display: 'block', marginTop: '12px' }}>
                  确定取消这个候补吗？取消后不再为您保留排位。
                </Text>
                <View className='row'>
                  <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('确认取消候补', { disabled: busy })} onClick={() => withdraw(entry)}>
                    确认取消候补
                  </Button>
                  <Button className='btn' {...pressable('不取消')} onClick={() => setConfirming(null)}>
                    不取消
                  </Button>
                </View>
              </View>
            ) : null}
            {canWithdraw(entry) && confirming !== entry.id ? (
              <View className='row'>
                <Button className='btn btn--small' {...pressable(`取消候补：${where} ${when}`)} onClick={() => ask(entry.id)}>
                  取消候补
                </Button>
              </View>
            ) : null}
            {entry.booking_id ? (
              <View className='row'>
                <Button
                  className='btn btn--small btn--primary'
                  {...pressable(`查看预约：${where} ${when}`)}
                  onClick={() => Taro.navigateTo({ url: routes.booking(entry.booking_id as number) })}
                >
                  查看预约
                </Button>
              </View>
            ) : null}
          </View>
        )
      })}
    </View>
  )
}
