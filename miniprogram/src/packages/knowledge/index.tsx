import { Button, Image, Input, Text, View } from '@tarojs/components'
import Taro, { useReachBottom, useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { ArticleCard, Page } from '@/api/types'
import { heading, imageAlt, inputLabel, linkTo, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import { hasMore, SEARCH_LABELS, toggle } from '@/lib/filters'
import { formatDate } from '@/lib/format'
import { type ArticleFilters, articleQuery, QUERY_MAX } from '@/lib/knowledge-query'
import type { Category } from '@/lib/knowledge-types'
import { routes } from '@/routes'
import './knowledge.scss'

/** 低碳知识: search (Chinese), categories, a tag; the list grows as the reader scrolls. */
export default function Knowledge() {
  const { params } = useRouter()
  const [categories, setCategories] = useState<Category[]>([])
  const [filters, setFilters] = useState<ArticleFilters>({ tag: params.tag ? decodeURIComponent(params.tag) : undefined })
  const [typed, setTyped] = useState('')
  const [items, setItems] = useState<ArticleCard[]>([])
  const [total, setTotal] = useState(0)
  const [page, setPage] = useState(0)
  const [loading, setLoading] = useState(false)
  const [failure, setFailure] = useState<Failure | null>(null)
  const error = failure?.message ?? ''
  const generation = useRef(0)

  useEffect(() => {
    api
      .get<Page<Category>>('/categories')
      .then((answer) => setCategories(answer.items))
      .catch(() => undefined) // the search works without them
  }, [])

  const fetchPage = useCallback(async (next: number, current: ArticleFilters) => {
    const mine = ++generation.current
    setLoading(true)
    setFailure(null)
    try {
      const answer = await api.get<Page<ArticleCard>>('/articles', articleQuery(current, next))
      if (mine !== generation.current) return
      setItems((old) => (next === 1 ? answer.items : [...old, ...answer.items]))
      setTotal(answer.total)
      setPage(next)
    } catch (e) {
      if (mine === generation.current) setFailure(failureOf(e, SEARCH_LABELS))
    } finally {
      if (mine === generation.current) setLoading(false)
    }
  }, [])

  useEffect(() => {
    setPage(0) // the count waits for the answer to these filters
    fetchPage(1, filters)
  }, [filters, fetchPage])

  useReachBottom(() => {
    if (!loading && !error && hasMore(items.length, total)) fetchPage(page + 1, filters)
  })

  const search = () => setFilters((f) => ({ ...f, q: typed }))
  const searching = Boolean(filters.q?.trim() || filters.category || filters.tag)

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        低碳知识
      </Text>
      <View className='field'>
        <Text className='field__label'>搜索文章</Text>
        <View className='row' style={{ marginTop: 0 }}>
          <Input
            className='input'
            style={{ flex: 1 }}
            value={typed}
            maxlength={QUERY_MAX}
            placeholder='例如：光伏、垃圾分类'
            confirmType='search'
            {...inputLabel('搜索文章')}
            onInput={(e) => setTyped(e.detail.value)}
            onConfirm={search}
          />
          <Button className='btn btn--primary' {...pressable('搜索')} onClick={search}>
            搜索
          </Button>
        </View>
      </View>
      {categories.length ? (
        <View className='field'>
          <Text className='field__label'>分类</Text>
          <View>
            {categories.map((c) => (
              <Text
                key={c.code}
                className={`chip${filters.category === c.code ? ' chip--on' : ''}`}
                {...pressable(`分类：${c.name}`, { pressed: filters.category === c.code })}
                onClick={() => setFilters((f) => ({ ...f, category: toggle(f.category, c.code) }))}
              >
                {c.name}
              </Text>
            ))}
          </View>
        </View>
      ) : null}
      {filters.tag ? (
        <View className='field'>
          <Text className='field__label'>标签</Text>
          <Text className='chip chip--on' {...pressable(`取消标签：${filters.tag}`)} onClick={() => setFilters((f) => ({ ...f, tag: undefined }))}>
            {filters.tag} ✕
          </Text>
        </View>
      ) : null}

      <View className='section'>
        <Text className='t-small muted' {...{ 'aria-live': 'polite' }}>
          {page === 0 ? '' : searching ? `找到 ${total} 篇文章` : `共 ${total} 篇文章`}
        </Text>
        {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => fetchPage(page + 1, filters) : undefined} /> : null}
        {items.map((article) => (
          <View key={article.id} className='card article-card' {...linkTo(`文章：${article.title}`)} onClick={() => Taro.navigateTo({ url: routes.article(article.id) })}>
            <View className='article-card__text'>
              <Text className='card__title'>{article.title}</Text>
              <Text className='card__meta'>
                {article.category?.name ?? ''}
                {article.published_on ? ` · ${formatDate(article.published_on)}` : ''}
                {article.reading_minutes ? ` · 约 ${article.reading_minutes} 分钟` : ''}
              </Text>
              {article.summary ? <Text className='t-small' style={{ display: 'block' }}>{article.summary}</Text> : null}
            </View>
            {article.cover_image_url ? <Image className='article-card__cover' src={article.cover_image_url} mode='aspectFill' lazyLoad {...imageAlt('')} /> : null}
          </View>
        ))}
        {loading ? <Loading /> : null}
        {!loading && !error && page > 0 && items.length === 0 ? <Empty text='没有找到相关文章，换个词试试' /> : null}
        {!loading && items.length > 0 && !hasMore(items.length, total) ? <Empty text='已经到底了' /> : null}
      </View>
    </Screen>
  )
}
