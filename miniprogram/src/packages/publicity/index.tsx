import { Text } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'
import { heading } from '@/components/a11y'
import Screen from '@/components/Screen'

/** Entry page of the publicity subpackage (placeholder until its page group lands; see README: adding a page). */
export default function PublicityEntry() {
  const { params } = useRouter()
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        公示与异议
      </Text>
      <Text className='t-body muted'>此栏目正在建设中{params.id ? `（编号 ${params.id}）` : ''}。</Text>
    </Screen>
  )
}
