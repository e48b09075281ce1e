import { Button, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, type Failure, type Submission, api, failureOf, messageOf, useSubmission } from '@/api'
import type { Page } from '@/api/types'
import { alertRole, heading, pressable, statusRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import SignInNeeded from '@/components/SignInNeeded'
import { ErrorNotice, FieldError, Loading } from '@/components/Status'
import { Chips, TextField } from '@/components/VisitsParts'
import WayOut from '@/components/WayOut'
import {
  type Base,
  type Booking,
  type BookingKind,
  type GroupForm,
  ID_TYPES,
  type IdType,
  MAX_VISITORS,
  PHONE_MAX_TYPED,
  type Slot,
  type VisitorForm,
  type WaitlistEntry,
  bookLinkProblem,
  bookingBody,
  bookingRefusal,
  canAddVisitor,
  dayLabel,
  emptyGroup,
  emptyVisitor,
  groupProblems,
  kindAction,
  kindsOffered,
  localToday,
  slotRefusal,
  slotState,
  slotTime,
  visitorsProblems,
} from '@/lib/visits'
import { askBookingMessages } from '@/lib/visits-subscribe'
import { idParam } from '@/lib/params'
import { isSignedIn, useSession } from '@/lib/session'
import { routes, ways } from '@/routes'
import '../visits.scss'

const KINDS: { code: BookingKind; label: string }[] = [
  { code: 'individual', label: '个人预约（1–5 人）' },
  { code: 'group', label: '团体预约' },
]

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The booking form (or, where the chosen kind's places are taken, the waitlist form: the same fields;
 * a slot whose individual places are taken offers an individual the waitlist and a group booking).
 * One Idempotency-Key per form instance, reused by every attempt until the service accepts, so a
 * double tap on 提交 or a retry after a dropped connection books once.
 */
export default function BookPage() {
  const { params } = useRouter()
  useSession() // re-render after a sign-in in place
  const baseId = idParam(params.base)
  const slotId = idParam(params.slot) ?? 0
  const date = params.date ?? ''
  // A link missing its slot or date (or naming no base) is said in words, before anything is asked.
  const linkProblem = bookLinkProblem(baseId, idParam(params.slot), params.date)
  const today = localToday()
  const [waitlistMode, setWaitlistMode] = useState(params.waitlist === '1')
  const [base, setBase] = useState<Base | null>(null)
  const [slot, setSlot] = useState<Slot | null>(null)
  const [loadFailure, setLoadFailure] = useState<Failure | null>(null)
  const [kind, setKind] = useState<BookingKind>('individual')
  const [visitors, setVisitors] = useState<VisitorForm[]>([emptyVisitor()])
  const [group, setGroup] = useState<GroupForm>(emptyGroup())
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [notice, setNotice] = useState('')
  const [offerWaitlist, setOfferWaitlist] = useState(false)
  const [waiting, setWaiting] = useState<WaitlistEntry | null>(null)
  const [busy, setBusy] = useState(false)
  const bookingSubmission = useSubmission()
  const waitlistSubmission = useSubmission()
  const inFlight = useRef(false)

  const load = useCallback(async () => {
    if (linkProblem) return
    setLoadFailure(null)
    try {
      const [answer, page] = await Promise.all([
        api.get<Base>(`/bases/${baseId}`),
        api.get<Page<Slot>>(`/bases/${baseId}/slots`, { from: date, to: date }),
      ])
      const found = page.items.find((s) => s.id === slotId) ?? null
      setBase(answer)
      setSlot(found)
      if (!found) {
        setLoadFailure({ message: '该时段不存在或已取消，请回到基地页面重新选择。', retry: false })
      } else {
        // The first kind the slot takes (groups_only: a group), and for it booking or, its places taken, the waitlist.
        const first = kindsOffered(found)[0] ?? 'individual'
        setKind(first)
        setWaitlistMode(kindAction(found, first) === 'waitlist')
      }
    } catch (e) {
      setLoadFailure(failureOf(e))
    }
  }, [linkProblem, baseId, slotId, date])

  useEffect(() => {
    load()
  }, [load])

  const setVisitor = (index: number, change: Partial<VisitorForm>) =>
    setVisitors((list) => list.map((v, i) => (i === index ? { ...v, ...change } : v)))
  const removeVisitor = (index: number) => {
    setVisitors((list) => list.filter((_, i) => i !== index))
    setErrors({}) // the field keys (visitors.N.…) move with the list
  }

  const problems = () => (kind === 'group' ? groupProblems(group, slot?.group_capacity ?? 500) : visitorsProblems(visitors))

  const send = async <T,>(path: string, submission: Submission): Promise<T> => {
    const body = bookingBody(slotId, baseId ?? undefined, kind, visitors, group)
    try {
      return await api.post<T>(path, body, { submission })
    } catch (e) {
      // The first attempt is still being answered (a retry overtook it): ask again, same key.
      if (e instanceof ApiError && e.code === 'idempotency_in_progress') {
        await pause(1500)
        return api.post<T>(path, body, { submission })
      }
      throw e
    }
  }

  const submit = async (toWaitlist: boolean) => {
    if (inFlight.current) return // a double tap: the first tap's request answers
    const found = problems()
    setErrors(found)
    setNotice('')
    if (Object.keys(found).length) {
      setNotice('填写的内容有误，请按提示修改')
      return
    }
    inFlight.current = true
    setBusy(true)
    try {
      await askBookingMessages() // from the tap itself, before any request (WeChat's rule)
      if (toWaitlist) {
        const entry = await send<WaitlistEntry>(`/slots/${slotId}/waitlist`, waitlistSubmission)
        waitlistSubmission.done()
        setWaiting(entry)
        setOfferWaitlist(false)
      } else {
        const made = await send<Booking>('/bookings', bookingSubmission)
        bookingSubmission.done()
        Taro.redirectTo({ url: routes.booking(made.id, true) })
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 'slot_full') {
        setOfferWaitlist(true)
        setNotice('该时段已约满。您可以加入候补：有人取消时将按先后顺序自动为您预约并通知。')
      } else if (e instanceof ApiError && e.code === 'slot_has_places') {
        setWaitlistMode(false)
        setNotice(e.message)
      } else {
        if (e instanceof ApiError && e.kind === 'validation') setErrors(e.fields)
        // Dates said as everywhere in the app (11月28日 08:00), not as the service writes them.
        setNotice((e instanceof ApiError && bookingRefusal(e.code, e.details, localToday())) || messageOf(e))
      }
    } finally {
      inFlight.current = false
      setBusy(false)
    }
  }

  const back = baseId === null ? ways.bases : ways.base(baseId)
  if (linkProblem || loadFailure) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          预约参观
        </Text>
        <ErrorNotice message={linkProblem || loadFailure?.message || ''} onRetry={loadFailure?.retry ? load : undefined} />
        <WayOut way={back} />
      </Screen>
    )
  }
  if (!base || !slot) {
    return (
      <Screen>
        <Loading />
      </Screen>
    )
  }

  // A slot not open for booking (not yet released, closed, started) says why before any form is filled in.
  const refusal = waiting ? '' : slotRefusal(slot, today)
  if (refusal) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          预约参观
        </Text>
        <SlotCard base={base} slot={slot} />
        <View className='notice notice--warn' {...statusRole()}>
          <Text className='t-body'>{refusal}</Text>
        </View>
        <WayOut way={back} />
      </Screen>
    )
  }
  if (!isSignedIn()) return <SignInNeeded title='预约参观' what='预约参观' />

  const title = waitlistMode ? '加入候补' : '预约参观'
  const kinds = kindsOffered(slot)
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {title}
      </Text>
      <SlotCard base={base} slot={slot} state={slotState(slot, today)} />

      {waiting ? (
        <View className='result result--ok' {...statusRole()}>
          <Text className='t-body' style={{ display: 'block' }}>
            已加入候补{waiting.position ? `，排在第 ${waiting.position} 位` : ''}。有人取消时将按先后顺序自动为您预约，并通知您。
          </Text>
          <View className='row'>
            {/* Opens 我的预约 on its 候补 tab, where this request is listed. */}
            <Button className='btn btn--primary' {...pressable('查看我的预约')} onClick={() => Taro.redirectTo({ url: routes.myBookings('waitlist') })}>
              查看我的预约
            </Button>
          </View>
        </View>
      ) : (
        <View>
          {kinds.length > 1 ? (
            <Chips
              label='预约方式'
              options={KINDS.filter((k) => kinds.includes(k.code))}
              value={kind}
              onChange={(value) => {
                setKind(value)
                setErrors({})
                setNotice('')
                setOfferWaitlist(false)
                // The form follows the choice: individual_full has an individual wait and a group book.
                setWaitlistMode(kindAction(slot, value) === 'waitlist')
              }}
            />
          ) : null}

          {kind === 'individual' ? (
            <View>
              {visitors.map((v, i) => {
                const who = `参观人 ${i + 1}`
                return (
                  <View className='visitor' key={i}>
                    <Text className='t-heading' {...heading(2)}>
                      {who}
                    </Text>
                    <TextField label={`${who} 姓名`} value={v.name} maxlength={50} onInput={(name) => setVisitor(i, { name })} error={errors[`visitors.${i}.name`]} />
                    <Chips<IdType>
                      label={`${who} 证件类型`}
                      options={ID_TYPES}
                      value={v.id_type}
                      onChange={(id_type) => setVisitor(i, { id_type })}
                    />
                    <TextField
                      label={`${who} 证件号码`}
                      value={v.id_number}
                      type={v.id_type === 'resident_id' ? 'idcard' : 'text'}
                      maxlength={32}
                      onInput={(id_number) => setVisitor(i, { id_number })}
                      error={errors[`visitors.${i}.id_number`] || errors[`visitors.${i}.id_type`]}
                    />
                    <TextField
                      label={`${who} 手机号码`}
                      value={v.phone}
                      type='phone'
                      maxlength={PHONE_MAX_TYPED}
                      onInput={(phone) => setVisitor(i, { phone })}
                      error={errors[`visitors.${i}.phone`]}
                    />
                    {visitors.length > 1 ? (
                      <View className='row'>
                        <Button className='btn btn--small' {...pressable(`删除${who}`)} onClick={() => removeVisitor(i)}>
                          删除{who}
                        </Button>
                      </View>
                    ) : null}
                  </View>
                )
              })}
              <FieldError message={errors.visitors} />
              <View className='row'>
                {canAddVisitor(visitors.length) ? (
                  <Button className='btn' {...pressable('添加参观人')} onClick={() => setVisitors((list) => [...list, emptyVisitor()])}>
                    添加参观人
                  </Button>
                ) : (
                  <Text className='t-small muted'>每次预约最多 {MAX_VISITORS} 人</Text>
                )}
              </View>
            </View>
          ) : (
            <View>
              <TextField label='单位名称' value={group.organisation} maxlength={100} onInput={(organisation) => setGroup({ ...group, organisation })} error={errors['group.organisation']} />
              <TextField label='领队姓名' value={group.leader_name} maxlength={50} onInput={(leader_name) => setGroup({ ...group, leader_name })} error={errors['group.leader_name']} />
              <TextField label='领队手机号码' value={group.leader_phone} type='phone' maxlength={PHONE_MAX_TYPED} onInput={(leader_phone) => setGroup({ ...group, leader_phone })} error={errors['group.leader_phone']} />
              <TextField
                label='团体人数'
                type='number'
                maxlength={3}
                value={group.headcount}
                placeholder={`1–${Math.min(500, slot.group_capacity)} 人`}
                onInput={(headcount) => setGroup({ ...group, headcount })}
                error={errors['group.headcount'] || errors.group}
              />
            </View>
          )}

          {notice ? (
            <View className='notice notice--error' {...alertRole()}>
              <Text className='t-body'>{notice}</Text>
            </View>
          ) : null}

          <View className='row'>
            {offerWaitlist || waitlistMode ? (
              <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('加入候补')} onClick={() => submit(true)}>
                加入候补
              </Button>
            ) : (
              <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('提交')} onClick={() => submit(false)}>
                提交
              </Button>
            )}
          </View>
          <Text className='t-small muted' style={{ display: 'block', marginTop: '12px' }}>
            请填写与证件一致的真实信息，入馆时凭核验码和本人证件核验。
          </Text>
        </View>
      )}
    </Screen>
  )
}

/** The base and the slot the form is about (with its state, where the form is shown). */
function SlotCard({ base, slot, state }: { base: Base; slot: Slot; state?: string }) {
  return (
    <View className='card'>
      <Text className='card__title'>{base.name}</Text>
      <Text className='t-body' style={{ display: 'block' }}>
        {dayLabel(slot.visit_date)} {slotTime(slot)}
      </Text>
      {state ? (
        <Text className='t-small muted' style={{ display: 'block' }}>
          {state}
        </Text>
      ) : null}
    </View>
  )
}
