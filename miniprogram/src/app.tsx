import type { PropsWithChildren } from 'react'
import { useLaunch } from '@tarojs/taro'
import { loadProfile } from '@/lib/session'
import { loadMeta } from '@/lib/meta'
import './app.scss'

function App({ children }: PropsWithChildren) {
  useLaunch(() => {
    // Warm the shared data every page uses; failures show on the pages that need it.
    loadMeta().catch(() => undefined)
    loadProfile().catch(() => undefined)
  })
  return children
}

export default App
