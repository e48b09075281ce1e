import { Button, Text, Textarea, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { ApiError, api, failureOf, messageOf } from '@/api'
import { alertRole, heading, inputLabel, pressable, statusRole } from '@/components/a11y'
import FirstLoad from '@/components/FirstLoad'
import Screen from '@/components/Screen'
import SignInNeeded from '@/components/SignInNeeded'
import { FieldError } from '@/components/Status'
import { type Booking, dayLabel, groupMembers, MINORS_PER_ADULT, membersProblems, slotTime } from '@/lib/visits'
import { isSignedIn, useSession } from '@/lib/session'
import { routes, ways } from '@/routes'
import '../visits.scss'
import { idParam } from '@/lib/params'

// h5's <textarea> takes no "unlimited" (-1): a bound far above 500 names.
const TEXTAREA_MAX = process.env.TARO_ENV === 'h5' ? 20000 : -1

function NamesBox(props: { label: string; hint: string; value: string; count: number; error?: string; onInput: (v: string) => void }) {
  return (
    <View className='field'>
      <Text className='field__label'>{props.label}</Text>
      <Textarea className='input textarea' value={props.value} maxlength={TEXTAREA_MAX} placeholder={props.hint} {...inputLabel(props.label)} onInput={(e) => props.onInput(e.detail.value)} />
      <Text className='t-small muted' style={{ display: 'block', textAlign: 'right' }}>
        {props.count} 人
      </Text>
      <FieldError message={props.error} />
    </View>
  )
}

/** A group's name list (PUT /bookings/{id}/members): the minors and the adults, one name per line, until the visit starts. */
export default function MembersPage() {
  const { params } = useRouter()
  const { user } = useSession()
  const id = idParam(params.id)
  const signedIn = isSignedIn()
  const [booking, setBooking] = useState<Booking | null>(null)
  const [loadError, setLoadError] = useState('')
  const [retryable, setRetryable] = useState(true)
  const [minorsText, setMinorsText] = useState('')
  const [adultsText, setAdultsText] = useState('')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const [saved, setSaved] = useState(false)
  const [busy, setBusy] = useState(false)

  const load = useCallback(async () => {
    setLoadError('')
    if (id === null) {
      setLoadError('找不到这条预约')
      setRetryable(false)
      return
    }
    try {
      const answer = await api.get<Booking>(`/bookings/${id}`)
      setBooking(answer)
      const members = answer.members ?? []
      setMinorsText(members.filter((m) => m.minor).map((m) => m.name).join('\n'))
      setAdultsText(members.filter((m) => !m.minor).map((m) => m.name).join('\n'))
    } catch (e) {
      const failure = failureOf(e)
      setLoadError(failure.message)
      setRetryable(failure.retry)
    }
  }, [id])

  useEffect(() => {
    if (signedIn || id === null) load()
  }, [load, signedIn, id, user?.id])

  const members = groupMembers(minorsText, adultsText)
  const minors = members.filter((m) => m.minor).length

  const edit = (box: 'minors' | 'adults', value: string) => {
    ;(box === 'minors' ? setMinorsText : setAdultsText)(value)
    setSaved(false)
    setError('')
    setFields({})
  }

  const save = async () => {
    if (busy || !booking) return
    const problems = membersProblems(members, booking.headcount)
    setFields(problems)
    setSaved(false)
    if (Object.keys(problems).length) {
      setError('名单有误，请按提示修改')
      return
    }
    setBusy(true)
    setError('')
    try {
      setBooking(await api.put<Booking>(`/bookings/${booking.id}/members`, { members }))
      setSaved(true)
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'validation') {
        // The service names `members` (the whole list) or `members.3.name`: shown under the list's count.
        setFields({ members: Object.values(e.fields)[0] ?? '' })
      }
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  if (!signedIn && id !== null) return <SignInNeeded title='团体名单' what='填写或修改团体名单' />
  if (loadError || !booking) return <FirstLoad title='团体名单' error={loadError} onRetry={retryable ? load : undefined} way={ways.myBookings} />
  const editable = booking.kind === 'group' && booking.status === 'confirmed' && new Date(booking.slot.starts_at).getTime() > Date.now()
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        团体名单
      </Text>
      <View className='card'>
        <Text className='card__title'>{booking.organisation}</Text>
        <Text className='t-body' style={{ display: 'block' }}>
          {dayLabel(booking.visit_date)} {slotTime(booking.slot)}，共 {booking.headcount} 人
        </Text>
        <Text className='t-small muted' style={{ display: 'block' }}>
          参观开始前可提交或修改。每 {MINORS_PER_ADULT} 名未成年人须至少有 1 名成年人带队。名单仅供基地核对，不会公开。
        </Text>
      </View>
      {editable ? (
        <View className='section'>
          <NamesBox label='未成年人名单（每行一个姓名）' hint='如：王小明' value={minorsText} count={minors} error={fields.minors} onInput={(v) => edit('minors', v)} />
          <NamesBox
            label='成年人名单（带队老师等，每行一个姓名）'
            hint='如：李老师的真实姓名'
            value={adultsText}
            count={members.length - minors}
            error={fields.adults}
            onInput={(v) => edit('adults', v)}
          />
          <Text className={`t-body${members.length === booking.headcount ? '' : ' error-text'}`} style={{ display: 'block' }}>
            已填 {members.length} 人 / 团体 {booking.headcount} 人
          </Text>
          <FieldError message={fields.members} />
          {error ? (
            <View className='notice notice--error' {...alertRole()}>
              <Text className='t-body'>{error}</Text>
            </View>
          ) : null}
          {saved ? (
            <View className='result result--ok' {...statusRole()}>
              <Text className='t-body'>名单已保存（{booking.headcount} 人，其中未成年人 {minors} 人）。</Text>
            </View>
          ) : null}
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('保存名单')} onClick={save}>
              保存名单
            </Button>
          </View>
        </View>
      ) : (
        <View className='notice' {...statusRole()}>
          <Text className='t-body'>这次预约的名单已不能修改（参观已开始，或预约已取消）。</Text>
        </View>
      )}
      <View className='row'>
        <Button className='btn' {...pressable('返回预约详情')} onClick={() => Taro.redirectTo({ url: routes.booking(booking.id) })}>
          返回预约详情
        </Button>
      </View>
    </Screen>
  )
}
