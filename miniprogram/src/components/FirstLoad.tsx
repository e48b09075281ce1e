import { Text } from '@tarojs/components'
import type { Way } from '@/routes'
import { heading } from './a11y'
import Screen from './Screen'
import { ErrorNotice, Loading } from './Status'
import WayOut from './WayOut'

/**
 * A page whose content is not there yet: its title and what went wrong (with 重试 when it can help, and
 * the way to the list it belongs to), or the spinner.
 */
export default function FirstLoad({ title, error, onRetry, way }: { title: string; error: string; onRetry?: () => void; way?: Way }) {
  return (
    <Screen>
      {error ? (
        <>
          <Text className='t-title' {...heading(1)}>
            {title}
          </Text>
          <ErrorNotice message={error} onRetry={onRetry} />
          {way ? <WayOut way={way} /> : null}
        </>
      ) : (
        <Loading />
      )}
    </Screen>
  )
}
