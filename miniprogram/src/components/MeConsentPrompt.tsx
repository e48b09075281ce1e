import { Button, RichText, Text, View } from '@tarojs/components'
import { useEffect, useState } from 'react'
import { messageOf } from '@/api'
import { formatDate } from '@/lib/format'
import { h5Html, weappHtml } from '@/lib/knowledge-html'
import { acceptPolicy, dismissConsent, loadPolicy, useConsent, type Policy } from '@/lib/me-consent'
import { useSession } from '@/lib/session'
import { heading, pressable } from './a11y'
import { ErrorNotice, Loading } from './Status'

/** A scrolling box reachable by keyboard (h5), named for screen readers. */
function scrollRegion(label: string): Record<string, unknown> {
  return process.env.TARO_ENV === 'h5' ? { tabIndex: 0, role: 'region', 'aria-label': label } : { 'aria-label': label }
}

/** The policy's body, cut down for rich-text on either platform (the service already cleaned it). */
export function PolicyBody({ policy }: { policy: Policy }) {
  const html = process.env.TARO_ENV === 'h5' ? h5Html(policy.body_html) : weappHtml(policy.body_html)
  return <RichText className='t-body policy-body' nodes={html} />
}

/**
 * Shown by <Screen> above the page when the privacy policy must be accepted first (after sign-in,
 * or a write answered 428). Nothing typed on the page is lost: accept, then tap its button again.
 */
export default function ConsentPrompt() {
  const { requested, fromWrite } = useConsent()
  const { user } = useSession()
  const [policy, setPolicy] = useState<Policy | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const shown = requested && Boolean(user)

  useEffect(() => {
    if (!shown || policy) return
    loadPolicy()
      .then(setPolicy)
      .catch((e) => setError(messageOf(e)))
  }, [shown, policy])

  if (!shown) return null
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
  return (
    <View className='notice consent-prompt' role='region' aria-label='隐私保护指引'>
      <Text className='card__title' {...heading(2)}>
        {policy ? policy.title : '隐私保护指引'}
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        {fromWrite ? '提交前请先阅读并同意隐私保护指引；同意后再点一次提交，已填写的内容会保留。' : '使用预约、异议、打卡等功能前，请先阅读并同意隐私保护指引。'}
      </Text>
      {error ? <ErrorNotice message={error} /> : null}
      {policy ? (
        <>
          <Text className='t-small muted' style={{ display: 'block' }}>
            版本 {policy.version}，{formatDate(policy.effective_on)} 起生效
          </Text>
          <View className='policy-scroll' {...scrollRegion('隐私保护指引全文')}>
            <PolicyBody policy={policy} />
          </View>
        </>
      ) : error ? null : (
        <Loading />
      )}
      <View className='row'>
        <Button
          className='btn btn--primary'
          id='consent-agree'
          openType={process.env.TARO_ENV === 'weapp' ? ('agreePrivacyAuthorization' as never) : undefined}
          disabled={busy || !policy || undefined}
          {...pressable('同意隐私保护指引', { disabled: busy || !policy })}
          onClick={agree}
        >
          {policy || error ? '同意' : '正在加载…'}
        </Button>
        <Button className='btn' {...pressable('暂不同意')} onClick={dismissConsent}>
          暂不同意
        </Button>
      </View>
    </View>
  )
}
