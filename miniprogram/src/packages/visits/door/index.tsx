import { Button, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { ApiError, api, messageOf, newSubmission } from '@/api'
import { heading, pressable, statusRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import { TextField } from '@/components/VisitsParts'
import { type Booking, checkinCodeProblem, checkinOutcome, codeFromScan, dayLabel, headcountProblem, slotTime } from '@/lib/visits'
import { useSession } from '@/lib/session'
import '../visits.scss'

const DOOR_ROLES = ['base_operator', 'institute_staff', 'admin']

interface Result {
  ok: boolean
  headline: string
  booking?: Booking
}

/** 扫码核验: a base's staff scan (weapp) or type (h5) a visitor's code and let them in. */
export default function Door() {
  const { params } = useRouter()
  const { user } = useSession()
  const [code, setCode] = useState('')
  const [codeError, setCodeError] = useState('')
  const [needHeadcount, setNeedHeadcount] = useState(0)
  const [headcount, setHeadcount] = useState('')
  const [headcountError, setHeadcountError] = useState('')
  const [result, setResult] = useState<Result | null>(null)
  const [busy, setBusy] = useState(false)
  const weapp = process.env.TARO_ENV === 'weapp'

  const check = async (value: string, people?: number) => {
    const problem = checkinCodeProblem(value)
    setCodeError(problem)
    if (problem || busy) return
    setBusy(true)
    setResult(null)
    try {
      const body = people ? { code: value.trim(), headcount: people } : { code: value.trim() }
      // One key per check: a dropped connection is retried once with it, and checks in once.
      const booking = await api.post<Booking>('/checkins', body, { submission: newSubmission() })
      setResult({ ok: true, headline: checkinOutcome(200, ''), booking })
      setNeedHeadcount(0)
      setHeadcount('')
      setCode('')
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'validation' && e.fields.headcount) {
        // A group: how many came is asked at the door.
        setNeedHeadcount(1)
        setHeadcountError(people ? e.fields.headcount : '')
        return
      }
      const headline = e instanceof ApiError ? checkinOutcome(e.status, e.code) || e.message : messageOf(e)
      setResult({ ok: false, headline })
    } finally {
      setBusy(false)
    }
  }

  // Opened by WeChat's own scanner from a visitor's mini-program code: the code is the page's scene.
  useEffect(() => {
    const scanned = codeFromScan({ path: params.scene ? `?scene=${params.scene}` : '' })
    if (scanned) {
      setCode(scanned)
      check(scanned)
    }
    // once, on opening
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  const scan = async () => {
    try {
      const answer = await Taro.scanCode({ onlyFromCamera: true, scanType: ['qrCode', 'wxCode'] as never })
      const scanned = codeFromScan(answer as { result?: string; path?: string })
      setCode(scanned)
      await check(scanned)
    } catch {
      // Cancelled by the person: nothing to say.
    }
  }

  const confirmGroup = () => {
    const problem = headcountProblem(headcount)
    setHeadcountError(problem)
    if (!problem) check(code, Number(headcount.trim()))
  }

  const allowed = !user || (user.roles ?? []).some((role) => DOOR_ROLES.includes(role))
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        扫码核验
      </Text>
      {!allowed ? (
        <View className='notice notice--warn'>
          <Text className='t-body'>此页面供教育基地工作人员核验入馆使用。如需开通，请联系基地管理员。</Text>
        </View>
      ) : (
        <View>
          <Text className='t-body muted' style={{ display: 'block' }}>
            {weapp ? '请扫描参观者出示的入馆核验码；无法扫码时可输入核验码。' : '请输入参观者出示的核验码（二维码下方的文字）。'}
          </Text>
          {weapp ? (
            <View className='row'>
              <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('扫码')} onClick={scan}>
                扫码
              </Button>
            </View>
          ) : null}
          <TextField label='核验码' value={code} maxlength={64} placeholder='例如 12.AbCd…' onInput={setCode} error={codeError} />
          {needHeadcount ? (
            <TextField label='团体实到人数' type='number' maxlength={3} value={headcount} onInput={setHeadcount} error={headcountError} />
          ) : null}
          <View className='row'>
            {needHeadcount ? (
              <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('确认入馆')} onClick={confirmGroup}>
                确认入馆
              </Button>
            ) : (
              <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('核验')} onClick={() => check(code)}>
                核验
              </Button>
            )}
          </View>
        </View>
      )}

      {result ? (
        <View className={`result ${result.ok ? 'result--ok' : 'result--bad'}`} {...statusRole()}>
          <Text className='t-heading'>{result.headline}</Text>
          {result.booking ? (
            <View>
              <Text className='t-body' style={{ display: 'block' }}>
                {dayLabel(result.booking.visit_date)} {slotTime(result.booking.slot)}
              </Text>
              {result.booking.kind === 'group' ? (
                <Text className='t-body' style={{ display: 'block' }}>
                  {result.booking.organisation}：实到 {result.booking.actual_headcount ?? result.booking.headcount} 人
                </Text>
              ) : (
                result.booking.visitors.map((v, i) => (
                  <Text className='t-body' style={{ display: 'block' }} key={i}>
                    {v.name}（{v.id_type_label} {v.id_number}）
                  </Text>
                ))
              )}
            </View>
          ) : null}
        </View>
      ) : null}
    </Screen>
  )
}
