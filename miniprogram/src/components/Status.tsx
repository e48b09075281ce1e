import { Button, Text, View } from '@tarojs/components'
import { alertRole, pressable, statusRole } from './a11y'

/** Loading, empty and error states, the same on every page. `error` is already Chinese (messageOf). */
export function Loading({ text = '正在加载…' }: { text?: string }) {
  return (
    <View className='state' {...statusRole()}>
      <Text className='t-body muted'>{text}</Text>
    </View>
  )
}

export function Empty({ text }: { text: string }) {
  return (
    <View className='state'>
      <Text className='t-body muted'>{text}</Text>
    </View>
  )
}

export function ErrorNotice({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <View className='notice notice--error' {...alertRole()}>
      <Text className='t-body'>{message}</Text>
      {onRetry ? (
        <Button className='btn btn--small' {...pressable('重试')} onClick={onRetry}>
          重试
        </Button>
      ) : null}
    </View>
  )
}

/** The message next to a field (ApiError.fields[name]). */
export function FieldError({ message }: { message?: string }) {
  if (!message) return null
  return (
    <Text className='t-small error-text' {...alertRole()}>
      {message}
    </Text>
  )
}
