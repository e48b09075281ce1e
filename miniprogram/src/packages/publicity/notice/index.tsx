import { Button, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { heading, linkTo, pressable } from '@/components/a11y'
import Pending from '@/components/Pending'
import Screen from '@/components/Screen'
import { dateTimeText, periodText } from '@/lib/publicity-format'
import { type Notice, type NoticeZone, OUTCOME_LABELS, WINDOW_LABELS } from '@/lib/publicity-types'
import { idParam } from '@/lib/params'
import { useResource } from '@/lib/useResource'
import { routes, ways } from '@/routes'
import '../publicity.scss'

function ZoneEntry({ notice, zone }: { notice: Notice; zone: NoticeZone }) {
  const closed = notice.window_state === 'closed'
  return (
    <View className='card'>
      <Text className='card__title' {...heading(3)}>
        {zone.name}
      </Text>
      <Text className='t-small link' {...linkTo(`查看示范区：${zone.name}`)} onClick={() => Taro.navigateTo({ url: routes.zone(zone.zone_id) })}>
        查看示范区详情 ›
      </Text>
      <View>
        <Text className='tag'>{zone.type_label}</Text>
        <Text className='tag'>{zone.level_label}</Text>
      </View>
      <Text className='card__meta'>
        申报单位：{zone.applicant_name}
        {zone.district ? ` · ${zone.district.name}` : ''}
      </Text>
      {closed ? (
        <View>
          <Text className='t-body' style={{ display: 'block' }}>
            收到异议 {zone.objections ?? 0} 条，其中成立 {zone.upheld ?? 0} 条
          </Text>
          {zone.outcome ? (
            <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
              公示结果：{OUTCOME_LABELS[zone.outcome] ?? '处理中'}
            </Text>
          ) : (
            <Text className='t-body muted' style={{ display: 'block' }}>
              公示结果：异议处理中
            </Text>
          )}
        </View>
      ) : null}
      {notice.window_state === 'open' ? (
        <View className='row'>
          {/* 我要提异议: the words the notice's rules (the service's text) and the articles tell people to tap; the
              spoken name starts with them and names the project. */}
          <Button
            className='btn'
            {...pressable(`我要提异议：${zone.name}`)}
            onClick={() => Taro.navigateTo({ url: routes.objectionForm(notice.id, zone.zone_id) })}
          >
            我要提异议
          </Button>
        </View>
      ) : null}
    </View>
  )
}

/** One notice: its period, the office that takes objections, how to object, its zones; after closing, the outcomes. */
export default function NoticePage() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const { data: notice, error, retry } = useResource<Notice>(id === null ? null : `/publicity/${id}`, undefined, '找不到这条公示')
  if (!notice) return <Pending error={error} onRetry={retry} way={ways.notices} />
  const open = notice.window_state === 'open'
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {notice.title}
      </Text>
      <Text className='tag'>{WINDOW_LABELS[notice.window_state] ?? ''}</Text>
      <Text className='t-body' style={{ display: 'block' }}>
        公示期：{periodText(notice.starts_at, notice.ends_at)}
      </Text>
      {notice.closed_at ? (
        <Text className='t-small muted' style={{ display: 'block' }}>
          结束于 {dateTimeText(notice.closed_at)}
        </Text>
      ) : null}

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          异议须知
        </Text>
        {notice.policy ? (
          <Text className='t-body' style={{ display: 'block', whiteSpace: 'pre-wrap' }}>
            {notice.policy}
          </Text>
        ) : null}
        <Text className='t-body' style={{ display: 'block', marginTop: '8px' }}>
          受理单位：{notice.office_name}
        </Text>
        {notice.office_phone ? (
          <Text className='t-body' style={{ display: 'block' }}>
            联系电话：{notice.office_phone}
          </Text>
        ) : null}
        {notice.office_address ? (
          <Text className='t-body' style={{ display: 'block' }}>
            地址：{notice.office_address}
          </Text>
        ) : null}
        {open ? (
          <Text className='t-small muted' style={{ display: 'block', marginTop: '8px' }}>
            异议须实名提出；提交后可在“我的异议”中查看处理进展和书面答复。
          </Text>
        ) : null}
      </View>

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          公示项目（{notice.zones.length} 个）
        </Text>
        {notice.zones.map((zone) => (
          <ZoneEntry key={zone.zone_id} notice={notice} zone={zone} />
        ))}
      </View>
    </Screen>
  )
}
