import { Button, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { api, type Failure, failureOf, messageOf, useSubmission } from '@/api'
import { alertRole, heading, pressable, statusRole } from '@/components/a11y'
import FirstLoad from '@/components/FirstLoad'
import Screen from '@/components/Screen'
import SignInNeeded from '@/components/SignInNeeded'
import { ErrorNotice, Loading } from '@/components/Status'
import { QrImage } from '@/components/VisitsParts'
import { useBusy } from '@/lib/useBusy'
import { type Base, type Booking, type CheckinPass, cancelDeadline, dayLabel, slotTime } from '@/lib/visits'
import { idParam } from '@/lib/params'
import { isSignedIn, useSession } from '@/lib/session'
import { routes, ways } from '@/routes'
import '../visits.scss'

const SHOWS_CODE = ['confirmed', 'checked_in']

/** One booking: when, who, its check-in QR code, and cancelling it until the cut-off. */
export default function BookingPage() {
  const { params } = useRouter()
  const { user } = useSession()
  const id = idParam(params.id)
  const fresh = params.new === '1'
  const signedIn = isSignedIn()
  const [booking, setBooking] = useState<Booking | null>(null)
  const [base, setBase] = useState<Base | null>(null)
  const [pass, setPass] = useState<CheckinPass | null>(null)
  const [error, setError] = useState('')
  const [retryable, setRetryable] = useState(true)
  const [passFailure, setPassFailure] = useState<Failure | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [cancelError, setCancelError] = useState('')
  const { busy, run } = useBusy()
  const cancelling = useSubmission()

  const loadPass = useCallback(async (b: Booking) => {
    setPassFailure(null)
    if (!SHOWS_CODE.includes(b.status)) {
      setPass(null)
      return
    }
    try {
      setPass(await api.get<CheckinPass>(`/bookings/${b.id}/checkin-code`))
    } catch (e) {
      setPassFailure(failureOf(e))
    }
  }, [])

  const load = useCallback(async () => {
    setError('')
    if (id === null) {
      setError('找不到这条预约')
      setRetryable(false)
      return
    }
    try {
      const answer = await api.get<Booking>(`/bookings/${id}`)
      setBooking(answer)
      api.get<Base>(`/bases/${answer.base_id}`).then(setBase, () => undefined)
      await loadPass(answer)
    } catch (e) {
      const failure = failureOf(e)
      setError(failure.message)
      setRetryable(failure.retry)
    }
  }, [id, loadPass])

  // Signed out (a saved link) nothing is asked: the page offers the sign-in, then reads the booking.
  useEffect(() => {
    if (signedIn || id === null) load()
  }, [load, signedIn, id, user?.id])

  const cancel = () =>
    run(async () => {
      if (!booking) return
      setCancelError('')
      try {
        const answer = await api.post<Booking>(`/bookings/${booking.id}/cancel`, undefined, { submission: cancelling })
        cancelling.done()
        setBooking(answer)
        setPass(null)
        setConfirming(false)
      } catch (e) {
        setCancelError(messageOf(e))
      }
    })

  if (!signedIn && id !== null) return <SignInNeeded title='预约详情' what='查看您的预约和入馆核验码' />
  if (error || !booking) return <FirstLoad title='预约详情' error={error} onRetry={retryable ? load : undefined} way={ways.myBookings} />
  const when = `${dayLabel(booking.visit_date)} ${slotTime(booking.slot)}`
  // Read at each render: past the cut-off 取消预约 goes, and the reason stays in its place.
  const deadline = cancelDeadline(booking.cancellable_until)
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        预约详情
      </Text>
      {fresh && booking.status === 'confirmed' ? (
        <View className='result result--ok' {...statusRole()}>
          <Text className='t-body'>预约成功！请在参观当天凭下方核验码和本人证件入馆。</Text>
        </View>
      ) : null}
      <View className='card'>
        <Text className='card__title'>{base?.name ?? '教育基地'}</Text>
        <Text className='t-body' style={{ display: 'block' }}>
          {when}
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          状态：{booking.status_label}
        </Text>
        {booking.kind === 'group' ? (
          <View>
            <Text className='t-body' style={{ display: 'block' }}>
              团体：{booking.organisation}，{booking.headcount} 人，领队 {booking.leader_name}（{booking.leader_phone}）
            </Text>
            <Text className='t-body' style={{ display: 'block' }}>
              团体名单：{booking.members?.length ? `已提交 ${booking.members.length} 人（其中未成年人 ${booking.minors ?? 0} 人）` : '尚未提交'}
            </Text>
            {booking.status === 'confirmed' ? (
              <View className='row'>
                <Button className='btn btn--small' {...pressable(booking.members?.length ? '修改团体名单' : '填写团体名单')} onClick={() => Taro.navigateTo({ url: routes.groupMembers(booking.id) })}>
                  {booking.members?.length ? '修改团体名单' : '填写团体名单'}
                </Button>
              </View>
            ) : null}
          </View>
        ) : (
          booking.visitors.map((v, i) => (
            <Text className='t-body' style={{ display: 'block' }} key={i}>
              参观人 {i + 1}：{v.name}，{v.id_type_label} {v.id_number}，{v.phone}
            </Text>
          ))
        )}
      </View>

      {SHOWS_CODE.includes(booking.status) ? (
        <View className='section card'>
          <Text className='card__title' {...heading(2)}>
            入馆核验码
          </Text>
          {passFailure ? <ErrorNotice message={passFailure.message} onRetry={passFailure.retry ? () => loadPass(booking) : undefined} /> : null}
          {pass ? (
            <View>
              <QrImage base64={pass.qr_png_base64} label={`入馆核验二维码，核验码 ${pass.code}`} />
              <Text className='t-small muted code-text' style={{ display: 'block', textAlign: 'center' }}>
                核验码：{pass.code}
              </Text>
              <Text className='t-small muted' style={{ display: 'block' }}>
                请于 {dayLabel(pass.visit_date)} 到馆时出示此码，工作人员扫码核验。
              </Text>
            </View>
          ) : !passFailure ? (
            <Loading text='正在生成核验码…' />
          ) : null}
        </View>
      ) : null}

      {booking.status === 'confirmed' ? (
        <View className='section'>
          {cancelError ? (
            <View className='notice notice--error' {...alertRole()}>
              <Text className='t-body'>{cancelError}</Text>
            </View>
          ) : null}
          {!deadline.open ? null : confirming ? (
            <View className='card'>
              <Text className='t-body' style={{ display: 'block' }}>
                确定取消这次预约吗？取消后名额将释放给其他人。
              </Text>
              <View className='row'>
                <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('确认取消', { disabled: busy })} onClick={cancel}>
                  确认取消
                </Button>
                <Button className='btn' {...pressable('不取消')} onClick={() => setConfirming(false)}>
                  不取消
                </Button>
              </View>
            </View>
          ) : (
            <View className='row'>
              <Button className='btn' {...pressable('取消预约')} onClick={() => setConfirming(true)}>
                取消预约
              </Button>
            </View>
          )}
          <Text className='t-small muted' style={{ display: 'block', marginTop: '12px' }}>
            {deadline.text}
          </Text>
        </View>
      ) : null}

      <View className='row'>
        <Button className='btn' {...pressable('返回我的预约')} onClick={() => Taro.redirectTo({ url: routes.myBookings() })}>
          返回我的预约
        </Button>
      </View>
    </Screen>
  )
}
