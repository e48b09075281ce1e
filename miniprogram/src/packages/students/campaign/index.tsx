import { Button, Image, Input, Text, View } from '@tarojs/components'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { ApiError, api, failureOf, messageOf, useSubmission } from '@/api'
import { alertRole, heading, imageAlt, inputLabel, linkTo, pressable, statusRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import { ErrorNotice, FieldError, Loading } from '@/components/Status'
import { formatDate } from '@/lib/format'
import { imageProblem } from '@/lib/publicity-rules'
import { type Evidence, pickImages, uploadImage } from '@/lib/publicity-upload'
import { isSignedIn } from '@/lib/session'
import { useBusy } from '@/lib/useBusy'
import {
  AUDIENCES,
  BACKFILL_DAYS,
  CAMPAIGN_STATES,
  checkinDays,
  estimateCo2,
  factorText,
  formatCo2,
  formatPoints,
  noteProblem,
  parseQuantity,
  plainNumber,
  quantityProblem,
  refusalExplanation,
  sourceText,
  type Campaign,
  type CheckinResult,
  type Factor,
  type Progress,
} from '@/lib/students-rules'
import { idParam } from '@/lib/params'
import { localToday } from '@/lib/visits'
import { routes, tabs, ways } from '@/routes'
import WayOut from '@/components/WayOut'
import '../students.scss'

const JOINED_KEY = 'lowcarbon.students.joined'

/** Campaigns joined on this device: a hint for the button only (joining again is harmless). */
function joinedHere(id: number): boolean {
  const saved = Taro.getStorageSync(JOINED_KEY) as number[] | ''
  return Array.isArray(saved) && saved.includes(id)
}

function rememberJoined(id: number): void {
  const saved = Taro.getStorageSync(JOINED_KEY) as number[] | ''
  const ids = Array.isArray(saved) ? saved : []
  if (!ids.includes(id)) Taro.setStorageSync(JOINED_KEY, [...ids, id].slice(-50))
}

/** Back to 校园低碳 when it is the page below (the usual way here), else open it. */
function openStudentsHome(): void {
  const stack = Taro.getCurrentPages()
  for (let i = stack.length - 2; i >= 0; i--) {
    if ((stack[i].route ?? '').includes('packages/students/index')) {
      Taro.navigateBack({ delta: stack.length - 1 - i })
      return
    }
  }
  Taro.navigateTo({ url: routes.students() })
}

function FactorView({ factor, chosen, onChoose }: { factor: Factor; chosen: boolean; onChoose?: () => void }) {
  return (
    <View className={`factor${chosen ? ' factor--on' : ''}`}>
      <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
        {factor.name}
      </Text>
      <Text className='t-small' style={{ display: 'block' }}>
        减排系数：{factorText(factor)}（相对于：{factor.baseline}）
      </Text>
      <Text className='t-small muted' style={{ display: 'block' }}>
        来源：{sourceText(factor.source)}
      </Text>
      <Text className='t-small muted' style={{ display: 'block' }}>
        每天最多 {plainNumber(factor.daily_cap)} {factor.unit_label}；每{factor.unit_label} {plainNumber(factor.points_per_unit)} 积分
        {factor.commuting ? '；上学出行，只在上学日计入' : ''}
      </Text>
      {onChoose ? (
        <View className='row'>
          <Button
            className={`btn btn--small${chosen ? ' btn--primary' : ''}`}
            {...pressable(`选择行动：${factor.name}`, { pressed: chosen })}
            onClick={onChoose}
          >
            {chosen ? '已选择' : '选择'}
          </Button>
        </View>
      ) : null}
    </View>
  )
}

function ProgressCard({ progress }: { progress: Progress }) {
  const figures = [
    { label: '连续打卡', value: `${progress.current_streak} 天` },
    { label: '最长连续', value: `${progress.longest_streak} 天` },
    { label: '打卡次数', value: `${progress.checkins} 次` },
    { label: '我的积分', value: formatPoints(progress.points) },
    { label: '我的减排', value: formatCo2(progress.co2_kg) },
  ]
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        我的进度
      </Text>
      <View className='grid'>
        {figures.map((f) => (
          <View key={f.label} className='figure'>
            <Text className='t-small muted figure__label'>{f.label}</Text>
            <Text className='t-heading'>{f.value}</Text>
          </View>
        ))}
      </View>
      <Text className='t-small muted'>{progress.estimate_note}</Text>
    </View>
  )
}

/** `onStart`: a new check-in is being sent, so the page puts away the last one's 「打卡成功…」. */
function CheckinForm({
  campaign,
  onDone,
  onRefused,
  onStart,
}: {
  campaign: Campaign
  onDone: (r: CheckinResult) => void
  onRefused: (e: ApiError) => void
  onStart: () => void
}) {
  const [code, setCode] = useState<string | undefined>(campaign.actions.length === 1 ? campaign.actions[0].code : undefined)
  const [quantity, setQuantity] = useState('')
  const [note, setNote] = useState('')
  const [photo, setPhoto] = useState<Evidence | null>(null)
  const [uploading, setUploading] = useState(false)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const { busy, run } = useBusy()
  const submission = useSubmission()
  const factor = campaign.actions.find((a) => a.code === code)
  const typed = parseQuantity(quantity)
  // Today, or a day of the last week within the campaign (补记): the service takes them, the form offers them.
  const days = checkinDays(localToday(), campaign.starts_on, campaign.ends_on)
  const [day, setDay] = useState<string>(days[0]?.day ?? localToday())

  // Another action or day: what was said of the last one (已经打过卡了, a quantity over its cap) no longer holds.
  const clearIfChanged = (before: string | undefined, next: string) => {
    if (next !== before) {
      setError('')
      setFields({})
    }
  }
  const pickDay = (next: string) => {
    clearIfChanged(day, next)
    setDay(next)
  }
  const choose = (next: string) => {
    clearIfChanged(code, next)
    setCode(next)
  }

  // A photo of the action, uploaded first (POST /uploads): on the day itself it weighs 1.5×, once per picture and campaign.
  const addPhoto = async () => {
    setFields((old) => ({ ...old, photo_url: '' }))
    const [picked] = await pickImages(1)
    if (!picked) return
    const problem = imageProblem(picked)
    if (problem) {
      setFields((old) => ({ ...old, photo_url: problem }))
      return
    }
    setUploading(true)
    try {
      setPhoto(await uploadImage(picked))
    } catch (e) {
      setFields((old) => ({ ...old, photo_url: messageOf(e) }))
    } finally {
      setUploading(false)
    }
  }

  // One check-in at a time: a double tap on 打卡 sends one request.
  const submit = () =>
    run(async () => {
      if (uploading) return
      const problems: Record<string, string> = {}
      if (!factor) problems.action = '请先选择一项绿色行动'
      else {
        const problem = quantityProblem(quantity, factor)
        if (problem) problems.quantity = problem
      }
      const notice = noteProblem(note)
      if (notice) problems.note = notice
      setFields(problems)
      setError('')
      if (Object.keys(problems).length || !factor) return
      onStart()
      try {
        const body: Record<string, unknown> = { action: factor.code, quantity: parseQuantity(quantity) }
        if (day !== localToday()) body.day = day
        if (note.trim()) body.note = note.trim()
        if (photo) body.photo_url = photo.url
        const result = await api.post<CheckinResult>(`/campaigns/${campaign.id}/checkins`, body, { submission })
        submission.done()
        setQuantity('')
        setNote('')
        setPhoto(null)
        onDone(result)
      } catch (e) {
        if (e instanceof ApiError && (e.kind === 'forbidden' || e.code === 'not_joined')) onRefused(e)
        if (e instanceof ApiError && Object.keys(e.fields).length) setFields(e.fields)
        setError(messageOf(e))
      }
    })

  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        绿色行动打卡
      </Text>
      <Text className='t-small muted'>每项行动每天打卡一次。先选择行动，再填写数量。</Text>
      {campaign.actions.map((a) => (
        <FactorView key={a.code} factor={a} chosen={a.code === code} onChoose={() => choose(a.code)} />
      ))}
      <FieldError message={fields.action} />
      {days.length > 1 ? (
        <View className='field'>
          <Text className='field__label'>打卡日期（可补记最近 {BACKFILL_DAYS} 天）</Text>
          <View>
            {days.map((d) => (
              <Text key={d.day} className={`chip${day === d.day ? ' chip--on' : ''}`} {...pressable(`日期：${d.label}`, { pressed: day === d.day })} onClick={() => pickDay(d.day)}>
                {d.label}
              </Text>
            ))}
          </View>
          <FieldError message={fields.day} />
        </View>
      ) : null}
      {error ? <ErrorNotice message={error} /> : null}
      <View className='field'>
        <Text className='field__label'>数量{factor ? `（${factor.unit_label}，每天最多 ${plainNumber(factor.daily_cap)}）` : ''}</Text>
        <Input
          className='input'
          type='digit'
          value={quantity}
          placeholder={factor ? `例如 ${factor.unit_kind === 'count' ? '1' : '1.5'}` : '请先选择行动'}
          {...inputLabel('数量')}
          onInput={(e) => setQuantity(e.detail.value)}
        />
        <FieldError message={fields.quantity || (days.length > 1 ? '' : fields.day)} />
        {factor && typed !== null && !quantityProblem(quantity, factor) ? (
          <Text className='t-small muted' style={{ display: 'block' }}>
            预计减排约 {formatCo2(estimateCo2(typed, factor))} CO₂e（以提交后的结果为准）
          </Text>
        ) : null}
      </View>
      <View className='field'>
        <Text className='field__label'>想说的话（选填，同学们可以看到）</Text>
        <Input className='input' value={note} maxlength={500} placeholder='例如 今天和同学一起光盘' {...inputLabel('想说的话')} onInput={(e) => setNote(e.detail.value)} />
        <FieldError message={fields.note} />
      </View>
      <View className='field'>
        <Text className='field__label'>照片（选填：打卡当天附上照片，积分按 1.5 倍计；补记不加倍）</Text>
        {photo ? (
          <View className='row'>
            <Image src={photo.path} mode='aspectFill' style={{ width: '96px', height: '96px', borderRadius: '8px' }} {...imageAlt('打卡照片')} />
            <Button className='btn btn--small' {...pressable('移除照片')} onClick={() => setPhoto(null)}>
              移除照片
            </Button>
          </View>
        ) : (
          <View className='row'>
            <Button className='btn btn--small' disabled={uploading || undefined} {...pressable(uploading ? '正在上传照片' : '添加照片')} onClick={addPhoto}>
              {uploading ? '正在上传…' : '添加照片'}
            </Button>
          </View>
        )}
        <FieldError message={fields.photo_url} />
      </View>
      <View className='row'>
        <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('打卡', { disabled: busy })} onClick={submit}>
          打卡
        </Button>
      </View>
    </View>
  )
}

export default function CampaignPage() {
  const { params } = useRouter()
  const id = idParam(params.id) ?? 0
  const [campaign, setCampaign] = useState<Campaign | null>(null)
  const [progress, setProgress] = useState<Progress | null>(null)
  const [joined, setJoined] = useState(false)
  const [error, setError] = useState('')
  const [retryable, setRetryable] = useState(true)
  const [refusal, setRefusal] = useState('')
  const [joinError, setJoinError] = useState('')
  const { busy, run } = useBusy()
  const [result, setResult] = useState<CheckinResult | null>(null)
  const signedIn = isSignedIn()

  const loadProgress = useCallback(async () => {
    if (!isSignedIn()) return
    const mine = await api.get<Progress>(`/campaigns/${id}/me`)
    setProgress(mine)
    if (mine.checkins > 0) setJoined(true)
  }, [id])

  const load = useCallback(async () => {
    setError('')
    if (!id) {
      setError('找不到这个活动')
      setRetryable(false)
      return
    }
    try {
      setCampaign(await api.get<Campaign>(`/campaigns/${id}`))
      setJoined(joinedHere(id))
      await loadProgress()
    } catch (e) {
      const failure = failureOf(e)
      setError(failure.message)
      setRetryable(failure.retry)
    }
  }, [id, loadProgress])

  useDidShow(() => {
    load()
  })

  // One join at a time: a double tap on 参加活动 sends one request.
  const join = () =>
    run(async () => {
      setJoinError('')
      setRefusal('')
      try {
        await api.post(`/campaigns/${id}/join`)
        rememberJoined(id)
        setJoined(true)
      } catch (e) {
        const explanation = e instanceof ApiError ? refusalExplanation(e.code) : ''
        if (explanation) setRefusal(explanation)
        else setJoinError(messageOf(e))
      }
    })
  // A new check-in: the last one's result and refusal go (they would sit beside the new answer).
  const checkinStarted = () => {
    setResult(null)
    setRefusal('')
  }

  const refused = (e: ApiError) => {
    if (e.code === 'not_joined') {
      setJoined(false)
      return
    }
    const explanation = refusalExplanation(e.code)
    if (explanation) setRefusal(explanation)
  }

  const checkedIn = (r: CheckinResult) => {
    setResult(r)
    Taro.pageScrollTo({ scrollTop: 0, duration: 0 }) // the result and my progress are at the top
    loadProgress().catch(() => undefined)
  }

  if (!campaign) {
    return (
      <Screen>
        {error ? (
          <>
            <ErrorNotice message={error} onRetry={retryable ? load : undefined} />
            <WayOut way={ways.students} />
          </>
        ) : (
          <Loading />
        )}
      </Screen>
    )
  }

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {campaign.title}
      </Text>
      <View>
        <Text className='tag'>{CAMPAIGN_STATES[campaign.state] ?? campaign.state}</Text>
        <Text className='tag'>{AUDIENCES[campaign.audience] ?? campaign.audience}</Text>
      </View>
      <Text className='card__meta'>
        {campaign.school_name} · {formatDate(campaign.starts_on)} 至 {formatDate(campaign.ends_on)}
      </Text>
      {campaign.description ? (
        <Text className='t-body' style={{ display: 'block', marginTop: '16px' }}>
          {campaign.description}
        </Text>
      ) : null}
      <View className='notice' {...statusRole()}>
        <Text className='t-small muted'>{campaign.estimate_note}</Text>
      </View>
      {error ? <ErrorNotice message={error} onRetry={retryable ? load : undefined} /> : null}

      {refusal ? (
        <View className='notice notice--warn' {...alertRole()}>
          <Text className='t-body' style={{ display: 'block' }}>
            {refusal}
          </Text>
          <View className='row'>
            <Button className='btn btn--small' {...pressable('去输入班级码')} onClick={openStudentsHome}>
              去输入班级码
            </Button>
          </View>
        </View>
      ) : null}

      {result ? (
        <View className='notice notice--ok' {...alertRole()}>
          <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
            打卡成功：减排约 {formatCo2(result.co2_kg)} CO₂e，获得 {formatPoints(result.points)}
          </Text>
          <Text className='t-small' style={{ display: 'block' }}>
            {result.factor.name} {plainNumber(result.quantity)} {result.factor.unit_label} × {factorText(result.factor)}
          </Text>
          <Text className='t-small muted' style={{ display: 'block' }}>
            来源：{sourceText(result.factor.source)}
          </Text>
          {result.evidence_note ? (
            <Text className='t-small' style={{ display: 'block' }}>
              {result.evidence_note}
            </Text>
          ) : null}
          {result.needs_review ? (
            <Text className='t-small' style={{ display: 'block' }}>
              你写的话需要审核后才会给同学们看到。
            </Text>
          ) : null}
        </View>
      ) : null}

      {!signedIn ? (
        <View className='card'>
          <Text className='t-body'>登录后可参加活动并打卡。</Text>
          <View className='row'>
            <Button className='btn btn--primary' {...pressable('去登录')} onClick={() => Taro.switchTab({ url: tabs.me })}>
              去登录
            </Button>
          </View>
        </View>
      ) : null}

      {progress ? <ProgressCard progress={progress} /> : null}

      {signedIn && campaign.state !== 'ended' && !joined ? (
        <View className='card'>
          {joinError ? <ErrorNotice message={joinError} /> : null}
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('参加活动', { disabled: busy })} onClick={join}>
              参加活动
            </Button>
          </View>
        </View>
      ) : null}

      {signedIn && joined && campaign.state === 'running' ? (
        <CheckinForm campaign={campaign} onDone={checkedIn} onRefused={refused} onStart={checkinStarted} />
      ) : (
        <View className='card'>
          <Text className='card__title' {...heading(2)}>
            绿色行动
          </Text>
          {campaign.actions.map((a) => (
            <FactorView key={a.code} factor={a} chosen={false} />
          ))}
        </View>
      )}

      <View className='card' {...linkTo('查看榜单')} onClick={() => Taro.navigateTo({ url: routes.studentBoard(id) })}>
        <Text className='card__title'>查看榜单</Text>
        <Text className='card__meta'>学生榜、班级榜、学校榜</Text>
      </View>
      <View className='card' {...linkTo('同学分享')} onClick={() => Taro.navigateTo({ url: routes.studentPosts(id) })}>
        <Text className='card__title'>同学分享</Text>
        <Text className='card__meta'>同学们打卡时写的话和照片</Text>
      </View>
    </Screen>
  )
}
