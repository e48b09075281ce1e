import Screen from './Screen'
import { ErrorNotice, Loading } from './Status'

/** A page whose one read (useResource) has not arrived: the error (with 重试 when it can help), or the loading state. */
export default function Pending({ error, onRetry }: { error: string; onRetry?: () => void }) {
  return <Screen>{error ? <ErrorNotice message={error} onRetry={onRetry} /> : <Loading />}</Screen>
}
