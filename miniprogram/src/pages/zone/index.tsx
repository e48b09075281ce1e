import { Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import type { Indicator, ZoneDetail } from '@/api/types'
import { heading, linkTo } from '@/components/a11y'
import Pending from '@/components/Pending'
import Screen from '@/components/Screen'
import { ZoneFollow, ZoneMap, ZoneProgressView, ZoneUpdates } from '@/components/ZoneExtra'
import { formatDate, formatNumber } from '@/lib/format'
import { indicatorNote, type ZoneLocation, type ZoneProgress } from '@/lib/zone-extra'
import { idParam } from '@/lib/params'
import { periodText } from '@/lib/publicity-format'
import { useResource } from '@/lib/useResource'
import { routes, ways } from '@/routes'

function IndicatorView({ indicator }: { indicator: Indicator }) {
  const note = indicatorNote(indicator)
  return (
    <View className='figure'>
      <Text className='t-small muted'>{indicator.name}</Text>
      {/* The number may go to its own line in a narrow card, the unit (tCO₂e/年) never splits. */}
      <Text className='t-figure'>
        <Text className='nowrap'>{formatNumber(indicator.latest_value)}</Text> <Text className='t-small nowrap'>{indicator.unit}</Text>
      </Text>
      <Text className='t-small muted'>
        {note.year}
        {note.baseline ? (
          <>
            ；{note.baseline.lead} <Text className='nowrap'>{note.baseline.amount}</Text>
          </>
        ) : null}
        {note.change ? (
          <>
            ，<Text className='nowrap'>{note.change}</Text>
          </>
        ) : null}
      </Text>
    </View>
  )
}

export default function Zone() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const { data: zone, error, retry } = useResource<ZoneDetail>(
    id === null ? null : `/zones/${id}`,
    (answer) => {
      Taro.setNavigationBarTitle({ title: answer.name }).catch(() => undefined)
    },
    '找不到这个示范区',
  )
  if (!zone) return <Pending error={error} onRetry={retry} way={ways.zones} />
  const progress = (zone.progress ?? null) as ZoneProgress | null
  const location = (zone as { location?: ZoneLocation | null }).location ?? null
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {zone.name}
      </Text>
      <View>
        <Text className='tag'>{zone.type_label}</Text>
        <Text className='tag'>{zone.level_label}</Text>
        <Text className='tag'>{zone.status_label}</Text>
        {zone.is_education_base ? <Text className='tag tag--base'>低碳教育基地（可预约参观）</Text> : null}
      </View>
      <ZoneFollow zoneId={zone.id} />
      <Text className='t-body muted'>
        {zone.applicant_name} · {zone.district?.name}
      </Text>
      {zone.address ? <Text className='t-small muted' style={{ display: 'block' }}>地址：{zone.address}</Text> : null}
      {zone.summary ? <Text className='t-body' style={{ display: 'block', marginTop: '12px' }}>{zone.summary}</Text> : null}

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          减碳指标
        </Text>
        <View className='grid'>
          {zone.indicators.map((indicator) => (
            <IndicatorView key={indicator.key} indicator={indicator} />
          ))}
        </View>
      </View>

      {progress ? <ZoneProgressView progress={progress} status={zone.status} /> : null}

      {zone.notice ? (
        <View className='card' {...linkTo(`公示：${zone.notice.title}`)} onClick={() => Taro.navigateTo({ url: routes.publicity(zone.notice!.id) })}>
          <Text className='card__title'>{zone.status === 'publicity' ? '正在公示，可提出异议' : '公示信息'}</Text>
          <Text className='card__meta'>
            {zone.notice.title}：{periodText(zone.notice.starts_at, zone.notice.ends_at)}
          </Text>
        </View>
      ) : null}

      {zone.is_education_base ? (
        <View className='card' {...linkTo('预约参观这个教育基地')} onClick={() => Taro.navigateTo({ url: routes.base(zone.id) })}>
          <Text className='card__title'>预约参观</Text>
          <Text className='card__meta'>查看开放时段并预约</Text>
        </View>
      ) : null}

      <ZoneUpdates zoneId={zone.id} />

      {location ? <ZoneMap name={zone.name} address={zone.address ?? null} location={location} /> : null}

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          创建历程
        </Text>
        {zone.timeline.map((entry, index) => (
          <View className='timeline__item' key={`${entry.occurred_at}-${index}`}>
            <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
              {entry.to_label}
            </Text>
            <Text className='t-small muted' style={{ display: 'block' }}>
              {formatDate(entry.occurred_at)}
              {entry.note ? ` · ${entry.note}` : ''}
            </Text>
          </View>
        ))}
      </View>
    </Screen>
  )
}
