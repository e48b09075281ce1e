import { Button, Input, Picker, Text, View } from '@tarojs/components'
import { useReachBottom } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { api, type Failure, failureOf } from '@/api'
import type { Labelled, Page, ZoneCard } from '@/api/types'
import { heading, inputLabel, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import { Empty, ErrorNotice, Loading } from '@/components/Status'
import ZoneCardView from '@/components/ZoneCardView'
import { hasMore, QUERY_MAX, SEARCH_LABELS, toggle, type ZoneFilters, zoneQuery } from '@/lib/filters'
import { useMeta } from '@/lib/meta'

function Chips({ title, options, value, onChange }: { title: string; options: Labelled[]; value?: string; onChange: (v?: string) => void }) {
  return (
    <View className='field'>
      <Text className='field__label'>{title}</Text>
      <View>
        {options.map((o) => (
          <Text
            key={o.code}
            className={`chip${value === o.code ? ' chip--on' : ''}`}
            {...pressable(`${title}：${o.label}`, { pressed: value === o.code })}
            onClick={() => onChange(toggle(value, o.code))}
          >
            {o.label}
          </Text>
        ))}
      </View>
    </View>
  )
}

export default function Zones() {
  const meta = useMeta()
  const [filters, setFilters] = useState<ZoneFilters>({})
  const [typed, setTyped] = useState('')
  const [items, setItems] = useState<ZoneCard[]>([])
  const [total, setTotal] = useState(0)
  const [page, setPage] = useState(0)
  const [loading, setLoading] = useState(false)
  const [failure, setFailure] = useState<Failure | null>(null)
  const error = failure?.message ?? ''
  const generation = useRef(0) // answers to an older filter are dropped

  const fetchPage = useCallback(async (next: number, current: ZoneFilters, replace: boolean) => {
    const mine = ++generation.current
    setLoading(true)
    setFailure(null)
    if (replace) {
      // A new filter: the old list goes at once (never shown under the new filter's name).
      setItems([])
      setTotal(0)
      setPage(0)
    }
    try {
      const answer = await api.get<Page<ZoneCard>>('/zones', zoneQuery(current, next))
      if (mine !== generation.current) return
      setItems((old) => (replace ? answer.items : [...old, ...answer.items]))
      setTotal(answer.total)
      setPage(next)
    } catch (e) {
      if (mine === generation.current) setFailure(failureOf(e, SEARCH_LABELS))
    } finally {
      if (mine === generation.current) setLoading(false)
    }
  }, [])

  useEffect(() => {
    fetchPage(1, filters, true)
  }, [filters, fetchPage])

  useReachBottom(() => {
    if (!loading && !error && hasMore(items.length, total)) fetchPage(page + 1, filters, false)
  })

  const publicStatuses = (meta?.statuses ?? []).filter((s) => s.public)
  const districts = meta?.districts ?? []
  const districtIndex = districts.findIndex((d) => d.id === filters.district)
  const districtNames = ['全部县（市）区', ...districts.map((d) => d.name)]

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        示范区
      </Text>
      <View className='field'>
        <Text className='field__label'>搜索示范区</Text>
        <View className='row' style={{ marginTop: 0 }}>
          <Input
            className='input'
            style={{ flex: 1 }}
            value={typed}
            maxlength={QUERY_MAX}
            placeholder='名称、单位或地址'
            confirmType='search'
            {...inputLabel('搜索示范区')}
            onInput={(e) => setTyped(e.detail.value)}
            onConfirm={() => setFilters((f) => ({ ...f, q: typed }))}
          />
          <Button className='btn btn--primary' {...pressable('搜索')} onClick={() => setFilters((f) => ({ ...f, q: typed }))}>
            搜索
          </Button>
        </View>
      </View>
      {meta ? (
        <View>
          <Chips title='类型' options={meta.types} value={filters.type} onChange={(type) => setFilters((f) => ({ ...f, type }))} />
          <Chips title='级别' options={meta.levels} value={filters.level} onChange={(level) => setFilters((f) => ({ ...f, level }))} />
          <Chips title='状态' options={publicStatuses} value={filters.status} onChange={(status) => setFilters((f) => ({ ...f, status }))} />
          <View className='field'>
            <Text className='field__label'>县（市）区</Text>
            <Picker
              mode='selector'
              range={districtNames}
              value={districtIndex + 1}
              onChange={(e) => {
                const index = Number(e.detail.value)
                setFilters((f) => ({ ...f, district: index > 0 ? districts[index - 1].id : undefined }))
              }}
            >
              <Text className='chip' {...pressable(`县（市）区：${districtNames[districtIndex + 1]}`)}>
                {districtNames[districtIndex + 1]} ▾
              </Text>
            </Picker>
          </View>
        </View>
      ) : null}

      <View className='section'>
        <Text className='t-small muted' {...{ 'aria-live': 'polite' }}>
          {page === 0 ? '' : `共 ${total} 个示范区`}
        </Text>
        {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? () => fetchPage(page + 1, filters, page === 0) : undefined} /> : null}
        {items.map((zone) => (
          <ZoneCardView key={zone.id} zone={zone} />
        ))}
        {loading ? <Loading /> : null}
        {!loading && !error && page > 0 && items.length === 0 ? <Empty text='没有符合条件的示范区，换个条件试试' /> : null}
        {!loading && items.length > 0 && !hasMore(items.length, total) ? <Empty text='已经到底了' /> : null}
      </View>
    </Screen>
  )
}
