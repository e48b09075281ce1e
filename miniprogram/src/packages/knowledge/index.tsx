import { Text } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'
import { heading } from '@/components/a11y'
import Screen from '@/components/Screen'

/** Entry page of the knowledge subpackage (placeholder until its page group lands; see README: adding a page). */
export default function KnowledgeEntry() {
  const { params } = useRouter()
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        低碳知识
      </Text>
      <Text className='t-body muted'>此栏目正在建设中{params.id ? `（编号 ${params.id}）` : ''}。</Text>
    </Screen>
  )
}
