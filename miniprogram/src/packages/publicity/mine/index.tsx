import { Button, Text, View } from '@tarojs/components'
import Taro, { useDidShow, useReachBottom } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { hasMore } from '@/lib/filters'
import { dateTimeText } from '@/lib/publicity-format'
import type { MyObjection } from '@/lib/publicity-types'
import { askToSignIn } from '@/lib/publicity-signin'
import { isSignedIn, useSession } from '@/lib/session'
import { routes } from '@/routes'

/** 我的异议: the person's own objections, newest first, each with its status; tap for the replies. */
export default function MyObjections() {
  useSession()
  const [items, setItems] = useState<MyObjection[]>([])
  const [total, setTotal] = useState(0)
  const [page, setPage] = useState(0)
  const [loading, setLoading] = useState(false)
  const [failure, setFailure] = useState<Failure | null>(null)
  const generation = useRef(0)

  const fetchPage = useCallback(async (next: number) => {
    const mine = ++generation.current
    setLoading(true)
    setFailure(null)
    try {
      const answer = await api.get<Page<MyObjection>>('/me/objections', { page: next, per_page: 20 })
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

  const signedIn = isSignedIn()
  const shown = useRef(false)
  // At once, and after a sign-in in place.
  useEffect(() => {
    if (signedIn) fetchPage(1)
  }, [signedIn, fetchPage])
  // Again on each return to the page: a reply may have come meanwhile.
  useDidShow(() => {
    if (shown.current && isSignedIn()) fetchPage(1)
    shown.current = true
  })

  useReachBottom(() => {
    if (!loading && !failure && hasMore(items.length, total)) fetchPage(page + 1)
  })

  if (!signedIn) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          我的异议
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          登录后可查看您提出的异议及答复。
        </Text>
        <View className='row'>
          <Button className='btn btn--primary' {...pressable('去登录')} onClick={askToSignIn}>
            去登录
          </Button>
        </View>
      </Screen>
    )
  }

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的异议
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => fetchPage(page + 1) : undefined} /> : null}
      {items.map((item) => (
        <View
          key={item.receipt_no}
          className='card'
          {...linkTo(`异议 ${item.receipt_no}：${item.zone_name}，${item.status_label}`)}
          onClick={() => Taro.navigateTo({ url: routes.myObjection(item.receipt_no) })}
        >
          <Text className='card__title'>{item.zone_name}</Text>
          <Text className='tag'>{item.status_label}</Text>
          <Text className='card__meta'>回执编号：{item.receipt_no}</Text>
          <Text className='card__meta'>提交时间：{dateTimeText(item.created_at)}</Text>
        </View>
      ))}
      {loading ? <Loading /> : null}
      {!loading && !failure && page > 0 && items.length === 0 ? <Empty text='您还没有提出过异议' /> : null}
    </Screen>
  )
}
