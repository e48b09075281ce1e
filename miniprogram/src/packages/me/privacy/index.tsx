import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useState } from 'react'
import { type Failure, failureOf, messageOf } from '@/api'
import { heading, pressable, statusRole } from '@/components/a11y'
import { PolicyBody } from '@/components/MeConsentPrompt'
import '../me.scss'
import Screen from '@/components/Screen'
import { ErrorNotice, Loading } from '@/components/Status'
import { formatDate } from '@/lib/format'
import { acceptPolicy, loadPolicy, type Policy } from '@/lib/me-consent'
import { useSession } from '@/lib/session'
import { tabs } from '@/routes'

/** 隐私保护指引: the current version in full; a signed-in person who has not accepted it can here. */
export default function Privacy() {
  const { user } = useSession()
  const [policy, setPolicy] = useState<Policy | null>(null)
  const [failure, setFailure] = useState<Failure | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  const load = () => {
    setFailure(null)
    loadPolicy()
      .then(setPolicy)
      .catch((e) => setFailure(failureOf(e)))
  }
  useEffect(load, [])

  const agree = async () => {
    if (!policy) return
    setBusy(true)
    setError('')
    try {
      await acceptPolicy(policy.version)
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  const accepted = user && !user.needs_consent && user.privacy_version_accepted === policy?.version
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        {policy?.title ?? '隐私保护指引'}
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {error ? <ErrorNotice message={error} /> : null}
      {!policy && !failure ? <Loading /> : null}
      {policy ? (
        <View className='card'>
          <Text className='t-small muted' style={{ display: 'block' }}>
            版本 {policy.version}，{formatDate(policy.effective_on)} 起生效
          </Text>
          <PolicyBody policy={policy} />
          {user ? (
            accepted ? (
              <Text className='t-body' style={{ display: 'block', marginTop: '16px' }} {...statusRole()}>
                您已同意本版本。
              </Text>
            ) : (
              <View className='row'>
                <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('同意隐私保护指引')} onClick={agree}>
                  同意
                </Button>
              </View>
            )
          ) : (
            <Text className='t-small muted' style={{ display: 'block', marginTop: '16px' }}>
              登录后可在此同意。
            </Text>
          )}
        </View>
      ) : null}
      <View className='row'>
        <Button className='btn' {...pressable('返回“我的”')} onClick={() => Taro.switchTab({ url: tabs.me })}>
          返回“我的”
        </Button>
      </View>
    </Screen>
  )
}
