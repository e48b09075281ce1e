import { Image, RichText, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { useMemo } from 'react'
import { heading, imageAlt, linkTo, pressable } from '@/components/a11y'
import Pending from '@/components/Pending'
import Screen from '@/components/Screen'
import { formatDate } from '@/lib/format'
import { h5Html, weappHtml } from '@/lib/knowledge-html'
import type { Article } from '@/lib/knowledge-types'
import { idParam } from '@/lib/params'
import { useResource } from '@/lib/useResource'
import { routes, ways } from '@/routes'
import '../knowledge.scss'

/** One article: its text as rich text (weapp's rich-text; on h5 re-built from the allowed tags), tags, related articles. */
export default function ArticlePage() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const { data: article, error, retry } = useResource<Article>(
    id === null ? null : `/articles/${id}`,
    (answer) => {
      Taro.setNavigationBarTitle({ title: answer.title }).catch(() => undefined)
    },
    '找不到这篇文章',
  )

  const body = useMemo(() => {
    if (!article) return ''
    return process.env.TARO_ENV === 'h5' ? h5Html(article.body_html) : weappHtml(article.body_html)
  }, [article])

  if (!article) return <Pending error={error} onRetry={retry} way={ways.articles} />
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {article.title}
      </Text>
      <Text className='card__meta'>
        {article.category?.name ?? ''}
        {article.published_on ? ` · ${formatDate(article.published_on)}` : ''}
        {article.reading_minutes ? ` · 阅读约 ${article.reading_minutes} 分钟` : ''}
      </Text>
      {article.author ? <Text className='card__meta'>作者：{article.author}</Text> : null}
      <View style={{ marginTop: '8px' }}>
        {(article.tags ?? []).map((tag) => (
          <Text key={tag} className='tag' {...pressable(`标签：${tag}，查看同标签文章`)} onClick={() => Taro.navigateTo({ url: routes.knowledge(tag) })}>
            #{tag}
          </Text>
        ))}
      </View>
      {article.cover_image_url ? <Image className='article-cover' src={article.cover_image_url} mode='aspectFill' {...imageAlt('')} /> : null}
      <RichText className='t-body article-body' nodes={body} />
      {article.source ? (
        <Text className='t-small muted' style={{ display: 'block', marginTop: '16px' }}>
          来源：{article.source}
        </Text>
      ) : null}

      {article.zone ? (
        <View className='card' style={{ marginTop: '24px' }} {...linkTo(`示范区：${article.zone.name}`)} onClick={() => Taro.navigateTo({ url: routes.zone(article.zone!.id) })}>
          <Text className='card__title'>相关示范区</Text>
          <Text className='card__meta'>{article.zone.name}</Text>
        </View>
      ) : null}

      {article.related.length ? (
        <View className='section'>
          <Text className='t-heading' {...heading(2)}>
            相关文章
          </Text>
          {article.related.map((other) => (
            <View key={other.id} className='card' {...linkTo(`文章：${other.title}`)} onClick={() => Taro.redirectTo({ url: routes.article(other.id) })}>
              <Text className='card__title'>{other.title}</Text>
              {other.summary ? <Text className='card__meta'>{other.summary}</Text> : null}
            </View>
          ))}
        </View>
      ) : null}
    </Screen>
  )
}
