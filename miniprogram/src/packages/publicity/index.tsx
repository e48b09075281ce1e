import { Text, View } from '@tarojs/components'
import Taro, { useReachBottom } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { hasMore } from '@/lib/filters'
import { periodText } from '@/lib/publicity-format'
import { type NoticeItem, WINDOW_LABELS } from '@/lib/publicity-types'
import { routes } from '@/routes'

type State = 'open' | 'closed'
const STATES: { code: State; label: string }[] = [
  { code: 'open', label: '公示中' },
  { code: 'closed', label: '已结束' },
]

/** Publicity notices: those open now, or those closed (with their outcomes on each notice's page). */
export default function Notices() {
  const [state, setState] = useState<State>('open')
  const [items, setItems] = useState<NoticeItem[]>([])
  const [total, setTotal] = useState(0)
  const [page, setPage] = useState(0)
  const [loading, setLoading] = useState(false)
  const [failure, setFailure] = useState<Failure | null>(null)
  const generation = useRef(0)

  const fetchPage = useCallback(async (next: number, which: State) => {
    const mine = ++generation.current
    setLoading(true)
    setFailure(null)
    try {
      const answer = await api.get<Page<NoticeItem>>('/publicity', { state: which, page: next, per_page: 20 })
      if (mine !== generation.current) return
      setItems((old) => (next === 1 ? answer.items : [...old, ...answer.items]))
      setTotal(answer.total)
      setPage(next)
    } catch (e) {
      if (mine === generation.current) setFailure(failureOf(e))
    } finally {
      if (mine === generation.current) setLoading(false)
    }
  }, [])

  useEffect(() => {
    setItems([])
    setPage(0)
    fetchPage(1, state)
  }, [state, fetchPage])

  useReachBottom(() => {
    if (!loading && !failure && hasMore(items.length, total)) fetchPage(page + 1, state)
  })

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        公示与异议
      </Text>
      <Text className='t-body muted' style={{ display: 'block' }}>
        示范区认定前向社会公示。公示期内，对名单中的项目有异议的，可实名提出。
      </Text>
      <View className='card' {...linkTo('我的异议：查看已提交异议的处理进展与答复')} onClick={() => Taro.navigateTo({ url: routes.myObjections() })}>
        <Text className='card__title'>我的异议</Text>
        <Text className='card__meta'>查看已提交异议的处理进展与答复</Text>
      </View>
      <View className='row'>
        {STATES.map((s) => (
          <Text
            key={s.code}
            className={`chip${state === s.code ? ' chip--on' : ''}`}
            {...pressable(s.label, { pressed: state === s.code })}
            onClick={() => setState(s.code)}
          >
            {s.label}
          </Text>
        ))}
      </View>
      <View className='section'>
        {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => fetchPage(page + 1, state) : undefined} /> : null}
        {items.map((notice) => (
          <View key={notice.id} className='card' {...linkTo(`公示：${notice.title}`)} onClick={() => Taro.navigateTo({ url: routes.publicity(notice.id) })}>
            <Text className='card__title'>{notice.title}</Text>
            <Text className='tag'>{WINDOW_LABELS[notice.window_state] ?? ''}</Text>
            <Text className='card__meta'>公示期：{periodText(notice.starts_at ?? '', notice.ends_at ?? '')}</Text>
            <Text className='card__meta'>共 {notice.zone_count ?? 0} 个项目</Text>
          </View>
        ))}
        {loading ? <Loading /> : null}
        {!loading && !failure && page > 0 && items.length === 0 ? (
          <Empty text={state === 'open' ? '目前没有正在公示的名单' : '暂无已结束的公示'} />
        ) : null}
      </View>
    </Screen>
  )
}
