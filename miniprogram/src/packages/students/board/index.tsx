import { Text, View } from '@tarojs/components'
import { useDidShow, useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import { heading, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import WayOut from '@/components/WayOut'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { isSignedIn } from '@/lib/session'
import {
  BOARD_KINDS,
  BOARD_METRICS,
  boardFigure,
  boardRows,
  formatCo2,
  type Board,
  type BoardEntry,
  type BoardKind,
  type BoardMetric,
  type BoardRow,
} from '@/lib/students-rules'
import { idParam } from '@/lib/params'
import { ways } from '@/routes'
import '../students.scss'

const KIND_NOUN: Record<BoardKind, string> = { student: '我', class: '我的班级', school: '我的学校' }

function Row({ entry, by, metric }: { entry: BoardRow; by: BoardKind; metric: BoardMetric }) {
  const figure = boardFigure(entry, by, metric)
  return (
    <View className={`board-row${entry.mine ? ' board-row--me' : ''}`}>
      <Text className='t-body board-row__rank'>第 {entry.rank} 名</Text>
      <Text className='t-body board-row__name'>
        {entry.name}
        {entry.mine ? <Text className='t-small me-tag'>{by === 'student' ? '我' : KIND_NOUN[by]}</Text> : null}
      </Text>
      <Text className='t-body'>{figure}</Text>
      <Text className='t-small muted' style={{ display: 'block', width: '100%' }}>
        减排 {formatCo2(entry.co2_kg)}
        {entry.enrolled !== undefined ? ` · 已确认 ${entry.enrolled} 人，参与 ${entry.participants ?? 0} 人` : ''}
      </Text>
    </View>
  )
}

function MeApart({ me, by, metric }: { me: BoardEntry; by: BoardKind; metric: BoardMetric }) {
  return (
    <View className='card board-row--me'>
      <Text className='card__title' {...heading(2)}>
        {by === 'student' ? '我的名次' : `${KIND_NOUN[by]}的名次`}
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        第 {me.rank} 名 · {me.name}
        <Text className='t-small me-tag'>{by === 'student' ? '我' : KIND_NOUN[by]}</Text>
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        {boardFigure(me, by, metric)} · 减排 {formatCo2(me.co2_kg)}
      </Text>
      {by === 'student' ? (
        <Text className='t-small muted' style={{ display: 'block' }}>
          只有你自己能看到这一行：你不在下面的公开榜单中（名次在前列之外，或暂不公开显示）。
        </Text>
      ) : null}
    </View>
  )
}

export default function BoardPage() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const [by, setBy] = useState<BoardKind>('student')
  const [metric, setMetric] = useState<BoardMetric>('per_student')
  const [board, setBoard] = useState<Board | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)

  const load = useCallback(
    async (nextBy: BoardKind, nextMetric: BoardMetric) => {
      setFailure(null)
      setBoard(null)
      if (id === null) {
        setFailure({ message: '找不到这个活动', retry: false })
        return
      }
      try {
        setBoard(await api.get<Board>(`/campaigns/${id}/leaderboard`, { by: nextBy, metric: nextMetric, top: 50 }))
      } catch (e) {
        setFailure(failureOf(e))
      }
    },
    [id],
  )

  useDidShow(() => {
    load(by, metric)
  })

  const choose = (nextBy: BoardKind, nextMetric: BoardMetric) => {
    setBy(nextBy)
    setMetric(nextMetric)
    load(nextBy, nextMetric)
  }
  const shown = board ? boardRows(board) : null

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        榜单
      </Text>
      <View className='row'>
        {BOARD_KINDS.map((k) => (
          <Text key={k.code} className={`chip${by === k.code ? ' chip--on' : ''}`} {...pressable(k.label, { pressed: by === k.code })} onClick={() => choose(k.code, metric)}>
            {k.label}
          </Text>
        ))}
      </View>
      {by !== 'student' ? (
        <View className='row'>
          {BOARD_METRICS.map((m) => (
            <Text
              key={m.code}
              className={`chip${metric === m.code ? ' chip--on' : ''}`}
              {...pressable(`按${m.label}排名`, { pressed: metric === m.code })}
              onClick={() => choose(by, m.code)}
            >
              {m.label}
            </Text>
          ))}
        </View>
      ) : null}
      <Text className='t-small muted' style={{ display: 'block' }}>
        {by === 'student'
          ? '学生榜只列学校已确认、愿意公开的同学（未满 14 周岁须有监护人同意），只显示昵称。积分相同名次并列。'
          : '按人均积分或参与率排名，人多的班级和学校不会因人数占优。'}
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => load(by, metric) : undefined} /> : null}
      {failure && !failure.retry ? <WayOut way={ways.students} /> : null}
      {!board && !failure ? <Loading /> : null}
      {board && shown ? (
        <>
          {shown.meApart ? <MeApart me={shown.meApart} by={by} metric={metric} /> : null}
          <View className='card'>
            <Text className='card__title' {...heading(2)}>
              {BOARD_KINDS.find((k) => k.code === by)?.label}（共 {board.total} {by === 'student' ? '人' : '个'}）
            </Text>
            {shown.rows.length ? shown.rows.map((entry) => <Row key={String(entry.id)} entry={entry} by={by} metric={metric} />) : <Empty text='还没有人上榜' />}
          </View>
          {!isSignedIn() ? <Text className='t-small muted'>登录后可看到自己的名次。</Text> : null}
          <Text className='t-small muted'>{board.note}</Text>
        </>
      ) : null}
    </Screen>
  )
}
