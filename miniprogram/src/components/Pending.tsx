import type { Way } from '@/routes'
import Screen from './Screen'
import { ErrorNotice, Loading } from './Status'
import WayOut from './WayOut'

/**
 * A page whose one read (useResource) has not arrived: the error (with 重试 only when it can help) and
 * the way to the list it belongs to, or the loading state.
 */
export default function Pending({ error, onRetry, way }: { error: string; onRetry?: () => void; way?: Way }) {
  return (
    <Screen>
      {error ? (
        <>
          <ErrorNotice message={error} onRetry={onRetry} />
          {way ? <WayOut way={way} /> : null}
        </>
      ) : (
        <Loading />
      )}
    </Screen>
  )
}
