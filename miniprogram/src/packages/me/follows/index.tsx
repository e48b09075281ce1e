import { Button, Text, View } from '@tarojs/components'
import Taro, { useDidShow } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { api, type Failure, failureOf, messageOf } from '@/api'
import type { Page } from '@/api/types'
import { heading, linkTo, pressable } from '@/components/a11y'
import '../me.scss'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { formatDate } from '@/lib/format'
import type { Followed } from '@/lib/me-rights'
import { isSignedIn, useSession } from '@/lib/session'
import { routes } from '@/routes'
import { NeedSignIn } from '../parts'

/** 我的关注: zones and schools, each opening its page, each with 取消关注. */
export default function MyFollows() {
  const { user } = useSession()
  const [items, setItems] = useState<Followed[] | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState<string>('')

  const load = useCallback(async () => {
    if (!isSignedIn()) return
    setFailure(null)
    setError('')
    try {
      setItems((await api.get<Page<Followed>>('/me/follows')).items)
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [])
  useDidShow(() => {
    load()
  })

  const unfollow = async (item: Followed) => {
    setBusy(`${item.kind}-${item.id}`)
    setError('')
    try {
      await api.del(item.kind === 'school' ? `/schools/${item.id}/follow` : `/zones/${item.id}/follow`)
      setItems((old) => (old ?? []).filter((f) => !(f.kind === item.kind && f.id === item.id)))
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy('')
    }
  }
  const open = (item: Followed) =>
    Taro.navigateTo({ url: item.kind === 'school' ? routes.students() : routes.zone(item.id) })

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的关注
      </Text>
      {!user && !isSignedIn() ? <NeedSignIn what='查看关注的示范区和学校' /> : null}
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {error ? <ErrorNotice message={error} /> : null}
      {user && !items && !failure ? <Loading /> : null}
      {items && !items.length ? <Empty text='还没有关注。在示范区页面点“关注”，它的进展会出现在“我的动态”。' /> : null}
      {(['zone', 'school'] as const).map((kind) => {
        const group = (items ?? []).filter((f) => f.kind === kind)
        if (!group.length) return null
        return (
          <View className='section' key={kind}>
            <Text className='t-heading' {...heading(2)}>
              {kind === 'zone' ? '示范区' : '学校'}
            </Text>
            {group.map((item) => (
              <View className='card' key={`${item.kind}-${item.id}`}>
                <Text className='card__title' {...linkTo(`打开${item.name}`)} onClick={() => open(item)}>
                  {item.name}
                </Text>
                <Text className='card__meta'>
                  {item.type_label} · {item.status_label} · {formatDate(item.followed_at)} 关注
                </Text>
                <View className='row'>
                  <Button className='btn btn--small' {...pressable(`查看${item.name}`)} onClick={() => open(item)}>
                    查看
                  </Button>
                  <Button
                    className='btn btn--small'
                    disabled={busy === `${item.kind}-${item.id}` || undefined}
                    {...pressable(`取消关注${item.name}`)}
                    onClick={() => unfollow(item)}
                  >
                    取消关注
                  </Button>
                </View>
              </View>
            ))}
          </View>
        )
      })}
    </Screen>
  )
}
