import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { ArticleCard, NoticeCard, Page } from '@/api/types'
import { heading, linkTo } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { formatDate, formatNumber } from '@/lib/format'
import { firstOpen, periodText } from '@/lib/publicity-format'
import { useMeta } from '@/lib/meta'
import { type Figure, loadScoreboard } from '@/lib/scoreboard'
import { routes } from '@/routes'

interface HomeData {
  figures: Figure[]
  notice: NoticeCard | null
  articles: ArticleCard[]
}

export default function Home() {
  const meta = useMeta()
  const [data, setData] = useState<HomeData | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)

  const load = useCallback(async () => {
    setFailure(null)
    try {
      const [board, notices, articles] = await Promise.all([
        loadScoreboard(api),
        // A few, not one: an upcoming notice in the answer is skipped (firstOpen), never shown as open.
        api.get<Page<NoticeCard>>('/publicity', { state: 'open', per_page: 5 }),
        api.get<Page<ArticleCard>>('/articles', { per_page: 3 }),
      ])
      setData({ figures: board.figures, notice: firstOpen(notices.items), articles: articles.items })
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [])

  useEffect(() => {
    load()
  }, [load])

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        长春市低碳排放示范区
      </Text>
      <Text className='t-body muted'>园区、工厂、建筑、学校、社区、景区六类示范区的创建进展与公开信息</Text>

      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {!data && !failure ? <Loading /> : null}

      {data ? (
        <View className='section'>
          <Text className='t-heading' {...heading(2)}>
            创建进展
          </Text>
          <View className='grid'>
            {data.figures.map((f) => (
              <View className='figure' key={f.label}>
                <Text className='t-figure'>
                  {formatNumber(f.value)}
                  {f.unit ? <Text className='t-small'> {f.unit}</Text> : null}
                </Text>
                <Text className='t-small muted'>{f.label}</Text>
              </View>
            ))}
            {meta ? (
              <View className='figure'>
                <Text className='t-figure'>{meta.types.length}</Text>
                <Text className='t-small muted'>示范区类型</Text>
              </View>
            ) : null}
          </View>
        </View>
      ) : null}

      {data ? (
        <View className='section'>
          <Text className='t-heading' {...heading(2)}>
            正在公示
          </Text>
          {data.notice ? (
            <View className='card' {...linkTo(`公示：${data.notice.title}`)} onClick={() => Taro.navigateTo({ url: routes.publicity(data.notice!.id) })}>
              <Text className='card__title'>{data.notice.title}</Text>
              <Text className='card__meta'>
                公示期 {periodText(data.notice.starts_at ?? '', data.notice.ends_at ?? '')}，共 {data.notice.zone_count} 个项目；如有异议可在公示期内提出
              </Text>
            </View>
          ) : (
            <Empty text='目前没有正在公示的项目' />
          )}
          <Text className='card__meta' {...linkTo('全部公示与结果')} onClick={() => Taro.navigateTo({ url: routes.publicity() })}>
            全部公示与结果 ›
          </Text>
        </View>
      ) : null}

      {data ? (
        <View className='section'>
          <Text className='t-heading' {...heading(2)}>
            低碳知识
          </Text>
          {data.articles.length === 0 ? <Empty text='暂无文章' /> : null}
          {data.articles.map((a) => (
            <View className='card' key={a.id} {...linkTo(`文章：${a.title}`)} onClick={() => Taro.navigateTo({ url: routes.article(a.id) })}>
              <Text className='card__title'>{a.title}</Text>
              <Text className='card__meta'>
                {a.category?.name} · {formatDate(a.published_on)}
              </Text>
            </View>
          ))}
          <Text className='card__meta' {...linkTo('搜索低碳知识')} onClick={() => Taro.navigateTo({ url: routes.knowledge() })}>
            搜索更多低碳知识 ›
          </Text>
        </View>
      ) : null}
    </Screen>
  )
}
