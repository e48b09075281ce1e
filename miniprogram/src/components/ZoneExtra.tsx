import { Button, Map, Text, View } from '@tarojs/components'
import { useDidShow } from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { ApiError, api, type Failure, failureOf, messageOf } from '@/api'
import { formatChange, formatDate } from '@/lib/format'
import { isSignedIn, requestSignIn, useSession } from '@/lib/session'
import { useBusy } from '@/lib/useBusy'
import {
  amountText,
  constructionOver,
  coordinatesText,
  followersText,
  milestoneState,
  periodText,
  progressVerdict,
  updateKindLabel,
  type FollowState,
  type ZoneLocation,
  type ZoneProgress,
  type ZoneUpdate,
} from '@/lib/zone-extra'
import { heading, pressable, statusRole } from './a11y'
import { ErrorNotice } from './Status'

/** 关注 / 已关注 with the number of followers; signed out → the sign-in prompt above the page. */
export function ZoneFollow({ zoneId }: { zoneId: number }) {
  const { user } = useSession()
  const [state, setState] = useState<FollowState | null>(null)
  const { busy, run } = useBusy()
  const [error, setError] = useState('')

  const load = useCallback(() => {
    if (!isSignedIn()) {
      setState(null)
      return
    }
    api
      .get<FollowState>(`/zones/${zoneId}/follow`)
      .then(setState)
      .catch((e) => (e instanceof ApiError && e.kind === 'auth' ? undefined : setError(messageOf(e))))
  }, [zoneId])
  useEffect(load, [load, user?.id])
  useDidShow(load)

  const toggle = () =>
    run(async () => {
      setError('')
      if (!isSignedIn()) {
        requestSignIn() // never signed in: 请先登录 (the prompt above the page), not 登录已失效
        return
      }
      try {
        if (state?.following) await api.del(`/zones/${zoneId}/follow`)
        else await api.post(`/zones/${zoneId}/follow`)
        setState(await api.get<FollowState>(`/zones/${zoneId}/follow`))
      } catch (e) {
        // A 401 is said once, by the sign-in prompt above the page.
        if (!(e instanceof ApiError && e.kind === 'auth')) setError(messageOf(e))
      }
    })
  const following = Boolean(state?.following)
  return (
    <View className='row zone-follow'>
      <Button
        className={`btn btn--small${following ? '' : ' btn--primary'}`}
        disabled={busy || undefined}
        {...pressable(following ? '已关注，点按取消关注' : '关注这个示范区', { pressed: following, disabled: busy })}
        onClick={toggle}
      >
        {following ? '已关注' : '关注'}
      </Button>
      {state ? (
        <Text className='t-small muted' {...statusRole()}>
          {followersText(state.followers)}
        </Text>
      ) : (
        <Text className='t-small muted'>关注后可在“我的动态”看到它的进展</Text>
      )}
      {error ? <ErrorNotice message={error} /> : null}
    </View>
  )
}

/** Milestones (late ones marked), the verified series against baseline and target, on track or not (no verdict for a revoked zone). */
export function ZoneProgressView({ progress, status }: { progress: ZoneProgress; status?: string }) {
  const unit = progress.indicator?.unit ?? ''
  const verdict = progressVerdict(progress.on_track, status)
  const change = progress.change_pct !== null ? `较基准年${formatChange(progress.change_pct)}` : ''
  const over = constructionOver(status)
  return (
    <View className='section'>
      <Text className='t-heading' {...heading(2)}>
        {over ? '建设与成效' : '建设进度'}
      </Text>
      {over && progress.percent === null ? null : (
        <Text className='t-body' style={{ display: 'block' }}>
          {progress.percent === null ? '尚未设定建设节点' : `已完成 ${progress.percent}%`}
          {progress.last_report_period ? `（最近报告：${periodText(progress.last_report_period)}）` : ''}
        </Text>
      )}
      {progress.percent !== null ? (
        <View className='progress-bar' role='progressbar' aria-label='建设进度' aria-valuenow={progress.percent} aria-valuemin={0} aria-valuemax={100}>
          <View className='progress-bar__done' style={{ width: `${progress.percent}%` }} />
        </View>
      ) : null}
      {progress.milestones.length ? (
        <View className='card'>
          <Text className='card__title' {...heading(3)}>
            建设节点
          </Text>
          {progress.milestones.map((m) => (
            <View key={m.id} className={`milestone${m.late ? ' milestone--late' : ''}`}>
              <Text className='t-body' style={{ display: 'block' }}>
                {m.name}
                <Text className={`tag${m.late ? ' tag--late' : ''}`}>{milestoneState(m)}</Text>
              </Text>
              <Text className='t-small muted' style={{ display: 'block' }}>
                计划 {formatDate(m.planned_on)}
                {m.done_on ? `，完成于 ${formatDate(m.done_on)}` : ''}
              </Text>
            </View>
          ))}
        </View>
      ) : null}
      {progress.indicator ? (
        <View className='card'>
          <Text className='card__title' {...heading(3)}>
            {progress.indicator.name}（核实数据）
          </Text>
          {verdict || change ? (
            <Text className='t-body' style={{ display: 'block' }}>
              {[verdict, change].filter(Boolean).join('，')}
            </Text>
          ) : null}
          {progress.baseline ? (
            <Text className='t-small muted' style={{ display: 'block' }}>
              基准：{progress.baseline.year} 年 <Text className='nowrap'>{amountText(progress.baseline.value, unit)}</Text>
            </Text>
          ) : null}
          {progress.target ? (
            <Text className='t-small muted' style={{ display: 'block' }}>
              目标：{progress.target.year} 年 <Text className='nowrap'>{amountText(progress.target.value, unit)}</Text>
            </Text>
          ) : null}
          {progress.series.map((point) => (
            <Text key={point.year} className='t-body' style={{ display: 'block' }}>
              {point.year} 年：<Text className='nowrap'>{amountText(point.value, unit)}</Text>
            </Text>
          ))}
          {progress.series.length ? null : <Text className='t-small muted'>暂无核实数据</Text>}
        </View>
      ) : null}
    </View>
  )
}

interface Page<T> {
  items: T[]
  page: number
  per_page: number
  total: number
}

/** The zone's updates, newest first, ten at a time. */
export function ZoneUpdates({ zoneId }: { zoneId: number }) {
  const [items, setItems] = useState<ZoneUpdate[]>([])
  const [page, setPage] = useState(0)
  const [total, setTotal] = useState(0)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [busy, setBusy] = useState(false)

  const more = useCallback(
    async (next: number) => {
      setBusy(true)
      setFailure(null)
      try {
        const answer = await api.get<Page<ZoneUpdate>>(`/zones/${zoneId}/updates`, { page: next, per_page: 10 })
        setItems((old) => (next === 1 ? answer.items : [...old, ...answer.items]))
        setPage(next)
        setTotal(answer.total)
      } catch (e) {
        setFailure(failureOf(e))
      } finally {
        setBusy(false)
      }
    },
    [zoneId],
  )
  useEffect(() => {
    more(1)
  }, [more])

  return (
    <View className='section'>
      <Text className='t-heading' {...heading(2)}>
        最新动态
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => more(page + 1) : undefined} /> : null}
      {!failure && page > 0 && !items.length ? <Text className='t-body muted'>暂无动态</Text> : null}
      {items.map((u, index) => (
        <View className='timeline__item' key={`${u.occurred_at}-${index}`}>
          <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
            <Text className='tag'>{updateKindLabel(u.kind)}</Text>
            {u.title}
          </Text>
          <Text className='t-small muted' style={{ display: 'block' }}>
            {formatDate(u.occurred_at)}
            {u.period ? ` · ${periodText(u.period)}` : ''}
          </Text>
          {u.summary ? (
            <Text className='t-body' style={{ display: 'block' }}>
              {u.summary}
            </Text>
          ) : null}
        </View>
      ))}
      {!failure && items.length < total ? (
        <View className='row'>
          <Button className='btn btn--small' disabled={busy || undefined} {...pressable('加载更多动态')} onClick={() => more(page + 1)}>
            加载更多
          </Button>
        </View>
      ) : null}
    </View>
  )
}

/** weapp: WeChat's map with the zone's marker (GCJ-02, as the service stores it). h5: the address and coordinates. */
export function ZoneMap({ name, address, location }: { name: string; address: string | null; location: ZoneLocation }) {
  return (
    <View className='section'>
      <Text className='t-heading' {...heading(2)}>
        位置
      </Text>
      {process.env.TARO_ENV === 'weapp' ? (
        <Map
          className='zone-map'
          latitude={location.latitude}
          longitude={location.longitude}
          scale={15}
          markers={[{ id: 1, latitude: location.latitude, longitude: location.longitude, title: name, iconPath: '', width: 30, height: 40 }]}
          aria-label={`${name}的位置地图`}
          onError={() => undefined}
        />
      ) : null}
      {address ? (
        <Text className='t-body' style={{ display: 'block' }}>
          地址：{address}
        </Text>
      ) : null}
      <Text className='t-small muted' style={{ display: 'block' }}>
        坐标（GCJ-02）：{coordinatesText(location)}
      </Text>
    </View>
  )
}
