import { Button, Text, View } from '@tarojs/components'
import Taro, { useDidShow } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo, pressable } from '@/components/a11y'
import '../me.scss'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { hasMore } from '@/lib/filters'
import { formatDate } from '@/lib/format'
import { feedKindLabel, type FeedItem } from '@/lib/me-rights'
import { isSignedIn, useSession } from '@/lib/session'
import { updateKindLabel } from '@/lib/zone-extra'
import { routes } from '@/routes'
import { NeedSignIn } from '../parts'

/** 我的动态: campaigns of followed schools and updates of followed zones, newest first. */
export default function MyFeed() {
  const { user } = useSession()
  const [items, setItems] = useState<FeedItem[] | null>(null)
  const [page, setPage] = useState(0)
  const [total, setTotal] = useState(0)
  const [failure, setFailure] = useState<Failure | null>(null)

  const load = useCallback(async (next: number) => {
    if (!isSignedIn()) return
    setFailure(null)
    try {
      const answer = await api.get<Page<FeedItem>>('/me/feed', { page: next, per_page: 20 })
      setItems((old) => (next === 1 ? answer.items : [...(old ?? []), ...answer.items]))
      setPage(next)
      setTotal(answer.total)
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [])
  useDidShow(() => {
    load(1)
  })

  const open = (item: FeedItem) => {
    if (item.kind === 'campaign' && item.id) Taro.navigateTo({ url: routes.studentCampaign(item.id) })
    else if (item.zone) Taro.navigateTo({ url: routes.zone(item.zone.id) })
  }
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的动态
      </Text>
      {!user && !isSignedIn() ? <NeedSignIn what='查看关注的示范区和学校的动态' /> : null}
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => load(page + 1) : undefined} /> : null}
      {user && !items && !failure ? <Loading /> : null}
      {items && !items.length ? <Empty text='暂无动态。关注示范区或学校后，它们的进展和活动会出现在这里。' /> : null}
      {(items ?? []).map((item, index) => (
        <View
          className='card'
          key={`${item.kind}-${item.occurred_at}-${index}`}
          {...linkTo(`${feedKindLabel(item)}：${item.title}`)}
          onClick={() => open(item)}
        >
          <Text className='t-small muted' style={{ display: 'block' }}>
            <Text className='tag'>{item.kind === 'zone_update' ? updateKindLabel(item.update_kind ?? '') : feedKindLabel(item)}</Text>
            {item.kind === 'zone_update' ? item.zone?.name : item.school_name} · {formatDate(item.occurred_at)}
          </Text>
          <Text className='card__title'>{item.title}</Text>
          {item.summary ? <Text className='card__meta'>{item.summary}</Text> : null}
        </View>
      ))}
      {items && hasMore(items.length, total) ? (
        <View className='row'>
          <Button className='btn' {...pressable('加载更多动态')} onClick={() => load(page + 1)}>
            加载更多
          </Button>
        </View>
      ) : null}
    </Screen>
  )
}
