import { Image, Text, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { heading, imageAlt, linkTo } from '@/components/a11y'
import Pending from '@/components/Pending'
import Screen from '@/components/Screen'
import SignInNeeded from '@/components/SignInNeeded'
import { dateTimeText } from '@/lib/publicity-format'
import type { MyObjection } from '@/lib/publicity-types'
import { useResource } from '@/lib/useResource'
import { routes, ways } from '@/routes'
import '../publicity.scss'

/** One of the person's objections: what they wrote, its progress and the written replies. */
export default function ObjectionPage() {
  const { params } = useRouter()
  const receiptNo = decodeURIComponent(params.receipt ?? '').trim()
  const { data: item, error, retry, signInNeeded } = useResource<MyObjection>(
    receiptNo ? `/me/objections/${encodeURIComponent(receiptNo)}` : null,
    undefined,
    '找不到这条异议',
    { needsSignIn: true },
  )
  if (signInNeeded) return <SignInNeeded title='异议详情' what='查看您提出的异议及答复' />
  if (!item) return <Pending error={error} onRetry={retry} way={ways.myObjections} />
  const urls = item.evidence_urls ?? []
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        异议详情
      </Text>
      <View className='card'>
        <Text className='t-body' style={{ display: 'block' }}>
          回执编号：<Text className='receipt-no'>{item.receipt_no}</Text>
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          处理状态：{item.status_label}
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          异议项目：{item.zone_name}
        </Text>
        <Text className='t-small muted' style={{ display: 'block' }}>
          提交时间：{dateTimeText(item.created_at)}
        </Text>
        {item.notice_id ? (
          <Text className='t-small' style={{ display: 'block', marginTop: '8px', textDecoration: 'underline' }} {...linkTo('查看这次公示')} onClick={() => Taro.navigateTo({ url: routes.publicity(item.notice_id) })}>
            查看这次公示
          </Text>
        ) : null}
      </View>

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          处理进展与答复
        </Text>
        {item.events.map((event, index) => (
          <View className='event' key={`${event.at}-${index}`}>
            <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
              {event.to_label}
            </Text>
            <Text className='t-small muted' style={{ display: 'block' }}>
              {dateTimeText(event.at)}
            </Text>
            {event.reply ? <Text className='t-body event__reply'>{event.reply}</Text> : null}
          </View>
        ))}
      </View>

      <View className='section'>
        <Text className='t-heading' {...heading(2)}>
          我提交的内容
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          姓名：{item.name}
        </Text>
        <Text className='t-body' style={{ display: 'block' }}>
          手机号码：{item.phone}
        </Text>
        {item.organisation ? (
          <Text className='t-body' style={{ display: 'block' }}>
            单位：{item.organisation}（联系人：{item.contact_person}）
          </Text>
        ) : null}
        <Text className='t-body event__reply'>{item.reason}</Text>
        {urls.length ? (
          <View className='evidence' style={{ marginTop: '16px' }}>
            {urls.map((url, index) => (
              <Image
                key={url}
                className='evidence__image'
                src={url}
                mode='aspectFill'
                {...imageAlt(`证明图片 ${index + 1}`)}
                onClick={() => Taro.previewImage({ urls, current: url })}
              />
            ))}
          </View>
        ) : null}
      </View>
    </Screen>
  )
}
