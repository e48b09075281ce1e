import { Text } from '@tarojs/components'
import { heading } from './a11y'
import Screen from './Screen'
import { ErrorNotice, Loading } from './Status'

/** A page whose content is not there yet: its title and what went wrong (with 重试 when it can help), or the spinner. */
export default function FirstLoad({ title, error, onRetry }: { title: string; error: string; onRetry?: () => void }) {
  return (
    <Screen>
      {error ? (
        <>
          <Text className='t-title' {...heading(1)}>
            {title}
          </Text>
          <ErrorNotice message={error} onRetry={onRetry} />
        </>
      ) : (
        <Loading />
      )}
    </Screen>
  )
}
