import { Button, Input, Text, View } from '@tarojs/components'
import Taro, { useDidShow } from '@tarojs/taro'
import { useCallback, useMemo, useState } from 'react'
import { ApiError, api, type Failure, failureOf, messageOf, useSubmission } from '@/api'
import type { Page, User } from '@/api/types'
import { alertRole, heading, inputLabel, linkTo, pressable, statusRole, switchRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, FieldError, Loading } from '@/components/Status'
import { formatDate } from '@/lib/format'
import { combineFailures, listView } from '@/lib/load-state'
import { isSignedIn, loadProfile, useSession } from '@/lib/session'
import { useBusy } from '@/lib/useBusy'
import {
  AGE_BANDS,
  AUDIENCES,
  CAMPAIGN_STATES,
  ageBandLabel,
  joinCodeProblem,
  normalizeJoinCode,
  studentStatus,
  type CampaignCard,
  type School,
  type StudentSelf,
} from '@/lib/students-rules'
import { routes, tabs } from '@/routes'
import './students.scss'

type Me = User & { student?: StudentSelf | null }

/** The student's record: school, class, whether the school confirmed them, what that means. */
/** The student's own choice to appear on public boards (PATCH /me public_board); off applies at once. */
function PublicBoardSwitch({ student, onSaved }: { student: StudentSelf; onSaved: () => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const toggle = async () => {
    if (busy) return
    setBusy(true)
    setError('')
    try {
      await api.patch<Me>('/me', { public_board: !student.public_board })
      onSaved()
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <View className='field'>
      <View className='row' style={{ justifyContent: 'space-between' }}>
        <Text className='t-body'>愿意出现在公开榜单上</Text>
        <Text className={`chip${student.public_board ? ' chip--on' : ''}`} {...switchRole('愿意出现在公开榜单上', student.public_board)} onClick={toggle}>
          {student.public_board ? '愿意' : '不愿意'}
        </Text>
      </View>
      <Text className='t-small muted'>关闭后别人看不到你的名次和分享，你自己仍能看到。</Text>
      {error ? <ErrorNotice message={error} /> : null}
    </View>
  )
}

function MyStudentCard({ student, schools, onChanged }: { student: StudentSelf | null; schools: School[]; onChanged: () => void }) {
  const status = studentStatus(student)
  const school = student ? schools.find((s) => s.id === student.school_id) : undefined
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        我的学生身份
      </Text>
      {student ? (
        <>
          <Text className='t-body' style={{ display: 'block' }}>
            学校：{school?.name ?? `学校（编号 ${student.school_id}）`}
          </Text>
          <Text className='t-body' style={{ display: 'block' }}>
            班级：{student.class_name || '未填写'}
          </Text>
          <Text className='t-body' style={{ display: 'block' }}>
            年龄段：{ageBandLabel(student.age_band)}
          </Text>
          {student.nickname ? (
            <Text className='t-body' style={{ display: 'block' }}>
              榜单昵称：{student.nickname}
            </Text>
          ) : null}
        </>
      ) : null}
      <Text className={`tag${status.state === 'confirmed' ? ' tag--base' : ''}`}>{status.headline}</Text>
      {status.explanations.map((line) => (
        <View key={line} className={status.state === 'awaiting_school' ? 'notice notice--warn' : 'notice'} {...statusRole()}>
          <Text className='t-body'>{line}</Text>
        </View>
      ))}
      {student ? <PublicBoardSwitch student={student} onSaved={onChanged} /> : null}
    </View>
  )
}

/**
 * The two ways to say which class one is in. Each form clears the page's earlier messages when it is
 * sent (`onStart`), and the page gives both forms a new key after either succeeds, so an old class-code
 * error never stays beside a saved school and class.
 */
function JoinClassForm({ onJoined, onStart, changing = false }: { onJoined: (message: string) => void; onStart: () => void; changing?: boolean }) {
  const [code, setCode] = useState('')
  const [codeError, setCodeError] = useState('')
  const [error, setError] = useState('')
  const { busy, run } = useBusy()
  const submission = useSubmission()

  const submit = () =>
    run(async () => {
      const problem = joinCodeProblem(code)
      setCodeError(problem)
      setError('')
      if (problem) return
      onStart()
      try {
        const student = await api.post<StudentSelf>('/me/class', { join_code: normalizeJoinCode(code) }, { submission })
        submission.done()
        setCode('')
        onJoined(`已加入${student.class_name ?? '班级'}，学校已确认你的学生身份。`)
      } catch (e) {
        if (e instanceof ApiError && e.fields.join_code) setCodeError(e.fields.join_code)
        else setError(messageOf(e))
      }
    })

  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        {changing ? '换班级？输入新班级的班级码' : '用班级码加入班级'}
      </Text>
      <Text className='t-small muted'>班级码由班主任老师提供，输入后学校即确认你是本班学生。</Text>
      {error ? <ErrorNotice message={error} /> : null}
      <View className='field'>
        <Text className='field__label'>班级码</Text>
        <Input
          className='input'
          value={code}
          maxlength={14}
          placeholder='例如 ABCD2345'
          {...inputLabel('班级码')}
          onInput={(e) => setCode(e.detail.value)}
        />
        <FieldError message={codeError} />
      </View>
      <View className='row'>
        <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('加入班级', { disabled: busy })} onClick={submit}>
          加入班级
        </Button>
      </View>
    </View>
  )
}

/** The age band's chips and the board nickname: what both forms about the student ask. */
function AgeAndNickname(props: {
  ageBand: string | undefined
  onAgeBand: (code: string) => void
  nickname: string
  onNickname: (text: string) => void
  fields: Record<string, string>
}) {
  const { ageBand, onAgeBand, nickname, onNickname, fields } = props
  return (
    <>
      <View className='field'>
        <Text className='field__label'>年龄段</Text>
        <View>
          {AGE_BANDS.map((b) => (
            <Text
              key={b.code}
              className={`chip${ageBand === b.code ? ' chip--on' : ''}`}
              {...pressable(`年龄段：${b.label}`, { pressed: ageBand === b.code })}
              onClick={() => onAgeBand(b.code)}
            >
              {b.label}
            </Text>
          ))}
        </View>
        <FieldError message={fields.age_band} />
      </View>
      <View className='field'>
        <Text className='field__label'>榜单昵称（选填）</Text>
        <Input className='input' value={nickname} maxlength={NICKNAME_MAX} placeholder='例如 小林' {...inputLabel('榜单昵称')} onInput={(e) => onNickname(e.detail.value)} />
        <FieldError message={fields.nickname} />
      </View>
    </>
  )
}

const NICKNAME_MAX = 20

/** What is wrong with a board nickname before sending it ('' when nothing): both forms that take one. */
function nicknameProblemOf(nickname: string): string {
  return nickname.trim().length > NICKNAME_MAX ? `昵称最多 ${NICKNAME_MAX} 个字` : ''
}

/**
 * A confirmed student's own details (PATCH /me without school and class, which the school confirmed):
 * the age band (one raised from under 14 waits for the school's list) and the board nickname.
 */
function DetailsForm({ student, onSaved, onStart }: { student: StudentSelf; onSaved: (m: string) => void; onStart: () => void }) {
  const [ageBand, setAgeBand] = useState<string>(student.pending_age_band ?? student.age_band)
  const [nickname, setNickname] = useState(student.nickname ?? '')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const { busy, run } = useBusy()

  const save = () =>
    run(async () => {
      const problems: Record<string, string> = {}
      const nicknameProblem = nicknameProblemOf(nickname)
      if (nicknameProblem) problems.nickname = nicknameProblem
      setFields(problems)
      setError('')
      if (Object.keys(problems).length) return
      onStart()
      try {
        const me = await api.patch<Me>('/me', { age_band: ageBand, nickname: nickname.trim() || null })
        const pending = (me as { student?: StudentSelf | null }).student?.pending_age_band
        onSaved(pending ? `已保存。年龄段“${ageBandLabel(pending)}”待学校在名单中确认。` : '已保存。')
      } catch (e) {
        if (e instanceof ApiError && Object.keys(e.fields).length) setFields(e.fields)
        setError(messageOf(e))
      }
    })

  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        年龄段和榜单昵称
      </Text>
      <Text className='t-small muted'>榜单上只显示昵称（不填显示“同学+编号”），从不显示真实姓名。由未满 14 周岁改为更大的年龄段，须学校在名单中确认。</Text>
      {error ? <ErrorNotice message={error} /> : null}
      <AgeAndNickname ageBand={ageBand} onAgeBand={setAgeBand} nickname={nickname} onNickname={setNickname} fields={fields} />
      <View className='row'>
        <Button className='btn' disabled={busy || undefined} {...pressable('保存年龄段和昵称', { disabled: busy })} onClick={save}>
          保存年龄段和昵称
        </Button>
      </View>
    </View>
  )
}

/** PATCH /me: declare a school and class (the school confirms later), age band, board nickname. */
function DeclareForm({
  schools,
  student,
  onSaved,
  onStart,
}: {
  schools: School[]
  student: StudentSelf | null
  onSaved: (m: string) => void
  onStart: () => void
}) {
  const [schoolId, setSchoolId] = useState<number | undefined>(student?.school_id)
  const [className, setClassName] = useState(student?.class_name ?? '')
  const [ageBand, setAgeBand] = useState<string | undefined>(student?.pending_age_band ?? student?.age_band)
  const [nickname, setNickname] = useState(student?.nickname ?? '')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const { busy, run } = useBusy()

  // One save at a time: a double tap on 保存学校和班级 sends one PATCH.
  const save = () =>
    run(async () => {
      const problems: Record<string, string> = {}
      if (!schoolId) problems.school_id = '请选择学校'
      if (className.trim().length > 40) problems.class_name = '班级名称最多 40 个字'
      const nicknameProblem = nicknameProblemOf(nickname)
      if (nicknameProblem) problems.nickname = nicknameProblem
      setFields(problems)
      setError('')
      if (Object.keys(problems).length) return
      onStart()
      const body: Record<string, unknown> = { school_id: schoolId, class_name: className.trim() || null }
      if (ageBand) body.age_band = ageBand
      body.nickname = nickname.trim() || null
      try {
        await api.patch<Me>('/me', body)
        onSaved('已保存。学校确认前，你不会出现在公开榜单上，也不能参加仅限本校学生的活动。')
      } catch (e) {
        if (e instanceof ApiError && Object.keys(e.fields).length) setFields(e.fields)
        setError(messageOf(e))
      }
    })

  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        没有班级码？填写学校和班级
      </Text>
      <Text className='t-small muted'>改校或改班后须由学校重新确认。榜单上只显示昵称（不填显示“同学+编号”），从不显示真实姓名。</Text>
      {error ? <ErrorNotice message={error} /> : null}
      <View className='field'>
        <Text className='field__label'>学校</Text>
        <View>
          {schools.map((s) => (
            <Text
              key={s.id}
              className={`chip${schoolId === s.id ? ' chip--on' : ''}`}
              {...pressable(`学校：${s.name}`, { pressed: schoolId === s.id })}
              onClick={() => setSchoolId(s.id)}
            >
              {s.name}
            </Text>
          ))}
        </View>
        <FieldError message={fields.school_id} />
      </View>
      <View className='field'>
        <Text className='field__label'>班级</Text>
        <Input className='input' value={className} maxlength={40} placeholder='例如 三年级一班' {...inputLabel('班级')} onInput={(e) => setClassName(e.detail.value)} />
        <FieldError message={fields.class_name} />
      </View>
      <AgeAndNickname ageBand={ageBand} onAgeBand={setAgeBand} nickname={nickname} onNickname={setNickname} fields={fields} />
      <View className='row'>
        <Button className='btn' disabled={busy || undefined} {...pressable('保存学校和班级', { disabled: busy })} onClick={save}>
          保存学校和班级
        </Button>
      </View>
    </View>
  )
}

function SchoolRow({ school, signedIn, onChanged, onShowCampaigns }: { school: School; signedIn: boolean; onChanged: (s: School) => void; onShowCampaigns: () => void }) {
  const { busy, run } = useBusy()
  const [error, setError] = useState('')
  const toggleFollow = () =>
    run(async () => {
      setError('')
      try {
        if (school.following) await api.del(`/schools/${school.id}/follow`)
        else await api.post(`/schools/${school.id}/follow`)
        onChanged({ ...school, following: !school.following, followers: school.followers + (school.following ? -1 : 1) })
      } catch (e) {
        setError(messageOf(e))
      }
    })
  return (
    <View className='card'>
      <Text className='card__title'>{school.name}</Text>
      <Text className='card__meta'>
        {school.district?.name ? `${school.district.name} · ` : ''}
        {school.followers} 人关注 · 进行中的活动 {school.campaigns_running} 个
      </Text>
      {error ? <ErrorNotice message={error} /> : null}
      <View className='row'>
        {signedIn ? (
          <Button
            className={`btn btn--small${school.following ? '' : ' btn--primary'}`}
            disabled={busy || undefined}
            {...pressable(school.following ? `取消关注${school.name}` : `关注${school.name}`)}
            onClick={toggleFollow}
          >
            {school.following ? '已关注（点按取消）' : '关注'}
          </Button>
        ) : null}
        <Button className='btn btn--small' {...pressable(`看${school.name}的活动`)} onClick={onShowCampaigns}>
          看活动
        </Button>
      </View>
    </View>
  )
}

export default function StudentsHome() {
  const { user } = useSession()
  const me = user as Me | null
  const student = me?.student ?? null
  const [schools, setSchools] = useState<School[] | null>(null)
  const [campaigns, setCampaigns] = useState<CampaignCard[] | null>(null)
  const [schoolFilter, setSchoolFilter] = useState<number | undefined>(undefined)
  // Each read's failure apart: 重试 reads again whatever failed, and a list that failed shows no 「暂无…」.
  const [schoolsFailure, setSchoolsFailure] = useState<Failure | null>(null)
  const [campaignsFailure, setCampaignsFailure] = useState<Failure | null>(null)
  const [profileFailure, setProfileFailure] = useState<Failure | null>(null)
  const [done, setDone] = useState('')
  // A new key for the class forms after either succeeds: their old messages go with them.
  const [formsVersion, setFormsVersion] = useState(0)
  const signedIn = isSignedIn()

  const loadCampaigns = useCallback(async (schoolId?: number) => {
    setCampaigns(null)
    setCampaignsFailure(null)
    try {
      const page = await api.get<Page<CampaignCard>>('/campaigns', { school_id: schoolId, per_page: 50 })
      setCampaigns(page.items)
    } catch (e) {
      setCampaignsFailure(failureOf(e))
    }
  }, [])

  const loadSchools = useCallback(async () => {
    setSchoolsFailure(null)
    try {
      setSchools((await api.get<Page<School>>('/schools', { per_page: 100 })).items)
    } catch (e) {
      setSchoolsFailure(failureOf(e))
    }
  }, [])

  const loadMine = useCallback(async () => {
    setProfileFailure(null)
    if (!isSignedIn()) return
    try {
      await loadProfile()
    } catch (e) {
      // A 401 is said once, by the sign-in prompt above the page.
      if (!(e instanceof ApiError && e.kind === 'auth')) setProfileFailure(failureOf(e))
    }
  }, [])

  /** Everything the page reads (on each return to it, and on 重试). */
  const load = useCallback(
    (schoolId?: number) => Promise.all([loadMine(), loadSchools(), loadCampaigns(schoolId)]),
    [loadMine, loadSchools, loadCampaigns],
  )

  useDidShow(() => {
    load(schoolFilter)
  })

  const chooseSchool = (id: number | undefined) => {
    setSchoolFilter(id)
    loadCampaigns(id)
  }
  const clearMessages = () => setDone('')
  const afterChange = async (message: string) => {
    setDone(message)
    setFormsVersion((v) => v + 1)
    Taro.pageScrollTo({ scrollTop: 0, duration: 0 }) // the message and the new status are at the top
    await loadMine()
  }
  const filterName = useMemo(() => schools?.find((s) => s.id === schoolFilter)?.name, [schools, schoolFilter])
  const failure = combineFailures([profileFailure, schoolsFailure, campaignsFailure])
  const campaignsView = listView(campaigns, campaignsFailure)
  const schoolsView = listView(schools, schoolsFailure)

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        校园低碳
      </Text>
      <Text className='t-body muted'>加入班级，参加学校的低碳活动，每天为绿色行动打卡。</Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => load(schoolFilter) : undefined} /> : null}
      {done ? (
        <View className='notice notice--ok' {...alertRole()}>
          <Text className='t-body'>{done}</Text>
        </View>
      ) : null}

      {signedIn && me ? (
        <>
          <MyStudentCard student={student} schools={schools ?? []} onChanged={() => loadMine()} />
          {student?.confirmed ? (
            <DetailsForm key={`details-${formsVersion}`} student={student} onSaved={afterChange} onStart={clearMessages} />
          ) : null}
          <JoinClassForm key={`join-${formsVersion}`} onJoined={afterChange} onStart={clearMessages} changing={Boolean(student?.confirmed)} />
          {schools && schools.length && !student?.confirmed ? (
            <DeclareForm
              key={`declare-${formsVersion}-${student ? `${student.school_id}:${student.class_name}` : 'none'}`}
              schools={schools}
              student={student}
              onSaved={afterChange}
              onStart={clearMessages}
            />
          ) : null}
        </>
      ) : (
        <View className='card'>
          <Text className='t-body'>登录后可用班级码加入班级、关注学校、参加活动打卡。</Text>
          <View className='row'>
            <Button className='btn btn--primary' {...pressable('去登录')} onClick={() => Taro.switchTab({ url: tabs.me })}>
              去登录
            </Button>
          </View>
        </View>
      )}

      <View className='section'>
        <View className='section__head'>
          <Text className='t-heading' {...heading(2)}>
            低碳活动{filterName ? `：${filterName}` : ''}
          </Text>
          {schoolFilter ? (
            <Text className='chip' {...pressable('看全部学校的活动')} onClick={() => chooseSchool(undefined)}>
              全部学校
            </Text>
          ) : null}
        </View>
        {campaignsView === 'loading' ? <Loading /> : null}
        {campaignsView === 'empty' ? <Empty text='暂无活动' /> : null}
        {(campaigns ?? []).map((c) => (
          <View key={c.id} className='card' {...linkTo(`活动：${c.title}`)} onClick={() => Taro.navigateTo({ url: routes.studentCampaign(c.id) })}>
            <Text className='card__title'>{c.title}</Text>
            <View>
              <Text className='tag'>{CAMPAIGN_STATES[c.state] ?? c.state}</Text>
              <Text className='tag'>{AUDIENCES[c.audience] ?? c.audience}</Text>
            </View>
            <Text className='card__meta'>
              {c.school_name} · {formatDate(c.starts_on)} 至 {formatDate(c.ends_on)}
            </Text>
          </View>
        ))}
      </View>

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          学校
        </Text>
        {schoolsView === 'loading' ? <Loading /> : null}
        {schoolsView === 'empty' ? <Empty text='暂无学校' /> : null}
        {(schools ?? []).map((s) => (
          <SchoolRow
            key={s.id}
            school={s}
            signedIn={signedIn}
            onChanged={(next) => setSchools((all) => (all ?? []).map((x) => (x.id === next.id ? next : x)))}
            onShowCampaigns={() => chooseSchool(s.id)}
          />
        ))}
      </View>
    </Screen>
  )
}

