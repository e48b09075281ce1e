import { Button, Input, Text, View } from '@tarojs/components'
import Taro, { useDidShow, useRouter, useShareAppMessage } from '@tarojs/taro'
import { useCallback, useEffect, useState } from 'react'
import { ApiError, api, type Failure, failureOf, messageOf, useSubmission } from '@/api'
import type { Page } from '@/api/types'
import { alertRole, heading, inputLabel, pressable, statusRole } from '@/components/a11y'
import '../me.scss'
import Screen from '@/components/Screen'
import { ErrorNotice, FieldError, Loading } from '@/components/Status'
import { dateTimeText } from '@/lib/publicity-format'
import {
  guardianCodeProblem,
  guardianCodeRefusal,
  needsGuardian,
  normalizeGuardianCode,
  relationshipProblem,
  type GuardianConsent,
  type GuardianLink,
  type GuardianPreview,
} from '@/lib/me-rights'
import { isSignedIn, useSession } from '@/lib/session'
import { routes } from '@/routes'
import { NeedSignIn } from '../parts'

const WEAPP = process.env.TARO_ENV === 'weapp'

/** A student under 14: a one-time code for a guardian, shared as a card (weapp) or copied (h5). */
function ChildLink() {
  const submission = useSubmission()
  const [link, setLink] = useState<GuardianLink | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const [copied, setCopied] = useState(false)

  useShareAppMessage(() => ({
    title: '请为我在“长春低碳示范区”小程序中确认监护人同意',
    path: link ? routes.guardian(link.code) : routes.guardian(),
  }))

  const create = async () => {
    setBusy(true)
    setError('')
    try {
      const answer = await api.post<GuardianLink>('/me/guardian-link', undefined, { submission })
      submission.done()
      setLink(answer)
      if (WEAPP) Taro.showShareMenu({ withShareTicket: false }).catch(() => undefined)
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  const copy = () => {
    if (!link) return
    Taro.setClipboardData({ data: link.code })
      .then(() => setCopied(true))
      .catch(() => setError('复制未成功，请手动抄写授权码'))
  }
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        请监护人同意
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        未满 14 周岁的同学，需要监护人（父母等）用他们自己的微信同意后，才会出现在公开榜单上。生成授权码，发给监护人即可。
      </Text>
      {error ? <ErrorNotice message={error} /> : null}
      {link ? (
        <View>
          <Text className='t-small muted' style={{ display: 'block' }}>
            授权码（{dateTimeText(link.expires_at)} 前有效，只能使用一次）：
          </Text>
          <Text className='me-code' selectable>
            {link.code}
          </Text>
          <View className='row'>
            {WEAPP ? (
              <Button className='btn btn--primary' openType='share' {...pressable('分享给监护人')}>
                分享给监护人
              </Button>
            ) : null}
            <Button className='btn' {...pressable('复制授权码')} onClick={copy}>
              复制授权码
            </Button>
          </View>
          {copied ? (
            <Text className='t-body' {...statusRole()}>
              已复制，请发给监护人，在小程序“我的 → 监护人授权”中输入。
            </Text>
          ) : null}
        </View>
      ) : (
        <View className='row'>
          <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('生成监护人授权码')} onClick={create}>
            生成授权码
          </Button>
        </View>
      )}
    </View>
  )
}

/**
 * A guardian opening the child's code: what becomes public, what never is, the relationship, consent.
 * A code the service refuses (wrong, used, expired) goes back to the code's field (`onRefused`), so the
 * guardian can correct it; 重试 only where retrying can help.
 */
function GuardianConsentForm({ code, onDone, onRefused }: { code: string; onDone: () => void; onRefused: (message: string) => void }) {
  const submission = useSubmission()
  const [preview, setPreview] = useState<GuardianPreview | null>(null)
  const [relationship, setRelationship] = useState('')
  const [relationshipError, setRelationshipError] = useState('')
  const [failure, setFailure] = useState<Failure | null>(null)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)

  const load = useCallback(() => {
    setFailure(null)
    api
      .get<GuardianPreview>(`/guardian-links/${encodeURIComponent(code)}`)
      .then(setPreview)
      .catch((e) => {
        if (e instanceof ApiError && e.kind === 'auth') return // said once, by the sign-in prompt
        const refusal = e instanceof ApiError ? guardianCodeRefusal(e.code) : ''
        if (refusal) onRefused(refusal)
        else setFailure(failureOf(e))
      })
  }, [code, onRefused])
  useEffect(load, [load])

  const consent = async () => {
    const problem = relationshipProblem(relationship)
    setRelationshipError(problem)
    if (problem) return
    setBusy(true)
    setError('')
    try {
      await api.post('/guardian-consents', { code, relationship }, { submission })
      submission.done()
      setDone(true)
      onDone()
    } catch (e) {
      const refusal = e instanceof ApiError ? guardianCodeRefusal(e.code) : ''
      if (e instanceof ApiError && e.fields.relationship) setRelationshipError(e.fields.relationship)
      else setError(refusal || messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  if (failure && !preview) return <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} />
  if (!preview) return <Loading />
  const child = preview.student
  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        为 {child.nickname} 确认监护人同意
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        {[child.school?.name, child.class_name].filter(Boolean).join(' · ')}
      </Text>
      <Text className='card__title' {...heading(3)}>
        同意后公开显示
      </Text>
      {preview.public.map((line) => (
        <Text className='t-body' style={{ display: 'block' }} key={line}>
          · {line}
        </Text>
      ))}
      <Text className='card__title' {...heading(3)}>
        同意后本校同学可见
      </Text>
      {(preview.schoolmates ?? []).map((line) => (
        <Text className='t-body' style={{ display: 'block' }} key={line}>
          · {line}
        </Text>
      ))}
      <Text className='card__title' {...heading(3)}>
        任何时候都不公开
      </Text>
      {preview.never_public.map((line) => (
        <Text className='t-body' style={{ display: 'block' }} key={line}>
          · {line}
        </Text>
      ))}
      <Text className='t-small muted' style={{ display: 'block' }}>
        您可以随时在此页面撤回同意，孩子会立即从公开榜单和“同学分享”中移除。
      </Text>
      {preview.already_consented || done ? (
        <Text className='t-body' style={{ display: 'block', marginTop: '16px' }} {...statusRole()}>
          您已同意。谢谢！
        </Text>
      ) : (
        <>
          <View className='field'>
            <Text className='field__label'>您与孩子的关系</Text>
            <View className='row'>
              {preview.relationships.map((r) => (
                <Text
                  key={r.code}
                  className={`chip${relationship === r.code ? ' chip--on' : ''}`}
                  {...pressable(`关系：${r.label}`, { pressed: relationship === r.code })}
                  onClick={() => setRelationship(r.code)}
                >
                  {r.label}
                </Text>
              ))}
            </View>
            <FieldError message={relationshipError} />
          </View>
          {error ? <ErrorNotice message={error} /> : null}
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('我是监护人，同意')} onClick={consent}>
              我是监护人，同意
            </Button>
          </View>
        </>
      )}
    </View>
  )
}

/** Consents I gave as a guardian, each withdrawable. */
function MyConsents({ version }: { version: number }) {
  const [items, setItems] = useState<GuardianConsent[] | null>(null)
  const [error, setError] = useState('')
  const load = useCallback(() => {
    api
      .get<Page<GuardianConsent>>('/guardian-consents', { per_page: 50 })
      .then((page) => setItems(page.items))
      .catch((e) => (e instanceof ApiError && e.kind === 'auth' ? undefined : setError(messageOf(e))))
  }, [])
  useEffect(load, [load, version])
  useDidShow(load)

  // Withdrawing takes the child off the boards at once: asked once more, one card at a time.
  const [asking, setAsking] = useState<number | null>(null)
  const withdraw = async (consent: GuardianConsent) => {
    setError('')
    setAsking(null)
    try {
      const answer = await api.del<GuardianConsent>(`/guardian-consents/${consent.id}`)
      setItems((old) => (old ?? []).map((c) => (c.id === consent.id ? answer : c)))
    } catch (e) {
      setError(messageOf(e))
    }
  }
  if (!items || !items.length) return error ? <ErrorNotice message={error} /> : null
  return (
    <View className='section'>
      <Text className='t-heading' {...heading(2)}>
        我给出的同意
      </Text>
      {error ? <ErrorNotice message={error} /> : null}
      {items.map((c) => (
        <View className='card' key={c.id}>
          <Text className='card__title'>{c.student.nickname}</Text>
          <Text className='card__meta'>
            {c.relationship_label} · {dateTimeText(c.consented_at)} 同意
            {c.withdrawn_at ? ` · ${dateTimeText(c.withdrawn_at)} 已撤回` : ''}
          </Text>
          {c.withdrawn_at ? null : asking === c.id ? (
            <View className='notice notice--warn' {...alertRole()}>
              <Text className='t-body' style={{ display: 'block' }}>
                撤回后，{c.student.nickname}会立即从公开榜单和“同学分享”中移除。确定撤回吗？
              </Text>
              <View className='row'>
                <Button className='btn btn--small' {...pressable(`确认撤回对${c.student.nickname}的同意`)} onClick={() => withdraw(c)}>
                  确认撤回
                </Button>
                <Button className='btn btn--small' {...pressable('不撤回')} onClick={() => setAsking(null)}>
                  不撤回
                </Button>
              </View>
            </View>
          ) : (
            <View className='row'>
              <Button className='btn btn--small' {...pressable(`撤回对${c.student.nickname}的同意`)} onClick={() => setAsking(c.id)}>
                撤回同意
              </Button>
            </View>
          )}
        </View>
      ))}
    </View>
  )
}

/** 监护人授权: the child's code to share, or (with ?code=) the guardian's consent; my consents. */
export default function Guardian() {
  const { params } = useRouter()
  const { user } = useSession()
  const linked = normalizeGuardianCode(decodeURIComponent(params.code ?? ''))
  const [code, setCode] = useState(linked)
  // What was typed stays in the field (a shared card's code is put there if the service refuses it).
  const [typed, setTyped] = useState(linked)
  const [typedError, setTypedError] = useState('')
  const [version, setVersion] = useState(0)

  const open = () => {
    const problem = guardianCodeProblem(typed)
    setTypedError(problem)
    if (!problem) setCode(normalizeGuardianCode(typed))
  }
  // The code is wrong, used or expired: back to the field, with the reason under it.
  const refused = useCallback((message: string) => {
    setCode('')
    setTypedError(message)
  }, [])
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        监护人授权
      </Text>
      {!user && !isSignedIn() ? <NeedSignIn what={code ? '以监护人身份同意' : '生成或使用监护人授权码'} /> : null}
      {user && code ? <GuardianConsentForm code={code} onDone={() => setVersion((v) => v + 1)} onRefused={refused} /> : null}
      {user && !code && needsGuardian(user.student as never) ? <ChildLink /> : null}
      {user && !code ? (
        <View className='card'>
          <Text className='card__title' {...heading(2)}>
            我是监护人
          </Text>
          <Text className='t-body' style={{ display: 'block' }}>
            输入孩子发来的授权码，查看将公开的内容并确认同意。
          </Text>
          <View className='field'>
            <Text className='field__label'>授权码</Text>
            <Input
              className='input'
              value={typed}
              {...inputLabel('授权码')}
              onInput={(e) => {
                setTyped(e.detail.value)
                setTypedError('')
              }}
            />
            <FieldError message={typedError} />
          </View>
          <View className='row'>
            <Button className='btn btn--primary' {...pressable('查看授权内容')} onClick={open}>
              查看
            </Button>
          </View>
        </View>
      ) : null}
      {user ? <MyConsents version={version} /> : null}
    </Screen>
  )
}
