import { Button, Image, Input, Picker, Text, Textarea, View } from '@tarojs/components'
import Taro, { useRouter } from '@tarojs/taro'
import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, MESSAGES, api, failureOf, messageOf, useSubmission } from '@/api'
import { alertRole, heading, imageAlt, inputLabel, phoneInput, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import WayOut from '@/components/WayOut'
import { ErrorNotice, FieldError, Loading } from '@/components/Status'
import { deviceStorage } from '@/lib/device-storage'
import { forgetDraft, keepDraft, objectionDraftKey, readDraft } from '@/lib/draft'
import { useMeta } from '@/lib/meta'
import { ID_TYPES, type IdType, PHONE_MAX_TYPED } from '@/lib/visits'
import { Chips } from '@/components/VisitsParts'
import { periodText } from '@/lib/publicity-format'
import {
  charCount,
  imageCountProblem,
  imageProblem,
  imagesLeft,
  MAX_IMAGES,
  type ObjectionForm,
  objectionBody,
  objectionProblems,
  REASON_MAX,
} from '@/lib/publicity-rules'
import type { Notice, Receipt } from '@/lib/publicity-types'
import { askToSignIn } from '@/lib/publicity-signin'
import { askForReplyMessage, type Evidence, pickImages, uploadImage } from '@/lib/publicity-upload'
import { isSignedIn, useSession } from '@/lib/session'
import { idParam } from '@/lib/params'
import { routes, ways } from '@/routes'
import '../publicity.scss'

const EMPTY: ObjectionForm = { zoneId: null, name: '', phone: '', organisation: '', contactPerson: '', idType: 'resident_id', idNumber: '', reason: '' }
// h5's <textarea> takes no "unlimited" (-1): a bound far above the rule, so the counter, not the box, says "too long".
const TEXTAREA_MAX = process.env.TARO_ENV === 'h5' ? 100000 : -1

/** The service's field names (and `evidence_urls.3`) → the form's fields (the document type is said beside its number). */
function fieldOf(name: string): string {
  const field = name.split('.')[0]
  return field === 'id_type' ? 'id_number' : field
}

function Field({ label, error, children, hint }: { label: string; error?: string; hint?: string; children: ReactNode }) {
  return (
    <View className='field'>
      <Text className='field__label'>{label}</Text>
      {children}
      {hint ? <Text className='t-small muted' style={{ display: 'block' }}>{hint}</Text> : null}
      <FieldError message={error} />
    </View>
  )
}

function ReceiptView({ receipt, noticeId }: { receipt: Receipt; noticeId: number }) {
  return (
    <View className='card' {...alertRole()}>
      <Text className='card__title' {...heading(2)}>
        异议已提交
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        受理回执编号
      </Text>
      <Text className='t-figure receipt-no' selectable>
        {receipt.receipt_no}
      </Text>
      <Text className='t-body' style={{ display: 'block' }}>
        处理状态：{receipt.status_label}
      </Text>
      {receipt.needs_review ? (
        <Text className='t-small muted' style={{ display: 'block' }}>
          内容将由工作人员复核后受理。
        </Text>
      ) : null}
      <Text className='t-small muted' style={{ display: 'block' }}>
        请记下回执编号。处理进展和书面答复可在“我的异议”中查看。
      </Text>
      <View className='row'>
        <Button className='btn btn--primary' {...pressable('查看我的异议')} onClick={() => Taro.redirectTo({ url: routes.myObjection(receipt.receipt_no) })}>
          查看我的异议
        </Button>
        <Button className='btn' {...pressable('返回公示')} onClick={() => Taro.redirectTo({ url: routes.publicity(noticeId) })}>
          返回公示
        </Button>
      </View>
    </View>
  )
}

/** The objection form: real name, phone, reason, up to nine evidence pictures uploaded first; the receipt at once. */
export default function ObjectPage() {
  const { params } = useRouter()
  const noticeId = idParam(params.notice)
  const meta = useMeta() as ({ subscribe_templates?: Record<string, string> } & object) | null
  useSession() // re-render after a sign-in
  const [notice, setNotice] = useState<Notice | null>(null)
  const [loadError, setLoadError] = useState('')
  const [retryable, setRetryable] = useState(true)
  // What was written before a reload or a tap on back comes back (lib/draft: the reason and the zone only).
  const draftKey = noticeId === null ? null : objectionDraftKey(noticeId)
  const [restored] = useState(() => (draftKey ? readDraft(deviceStorage, draftKey) : null))
  const [form, setForm] = useState<ObjectionForm>({
    ...EMPTY,
    zoneId: params.zone ? Number(params.zone) : (restored?.zoneId ?? null),
    reason: restored?.reason ?? '',
  })
  const [images, setImages] = useState<Evidence[]>([])
  const [uploading, setUploading] = useState(0)
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const [receipt, setReceipt] = useState<Receipt | null>(null)
  // One Idempotency-Key for this form until the service took it: a double tap or a retry submits once.
  const submission = useSubmission()
  const sending = useRef(false)

  const load = useCallback(async () => {
    setLoadError('')
    if (noticeId === null) {
      setLoadError('找不到这条公示')
      setRetryable(false)
      return
    }
    try {
      setNotice(await api.get<Notice>(`/publicity/${noticeId}`))
    } catch (e) {
      const failure = failureOf(e)
      setLoadError(failure.message)
      setRetryable(failure.retry)
    }
  }, [noticeId])

  useEffect(() => {
    load()
  }, [load])

  useEffect(() => {
    if (draftKey && !receipt) keepDraft(deviceStorage, draftKey, { zoneId: form.zoneId, reason: form.reason })
  }, [draftKey, receipt, form.zoneId, form.reason])

  const set = (key: keyof ObjectionForm, value: string | number | null) => {
    setForm((old) => ({ ...old, [key]: value }))
    const name = { zoneId: 'zone_id', contactPerson: 'contact_person', idNumber: 'id_number', idType: 'id_number' }[key as string] ?? key
    setFields((old) => (old[name] ? { ...old, [name]: '' } : old))
  }

  const addImages = async () => {
    setFields((old) => ({ ...old, evidence_urls: '' }))
    const left = imagesLeft(images.length)
    if (!left) {
      setFields((old) => ({ ...old, evidence_urls: imageCountProblem(images.length, 1) }))
      return
    }
    const picked = await pickImages(left)
    const tooMany = imageCountProblem(images.length, picked.length)
    const chosen = picked.slice(0, left)
    const problems = chosen.map((image) => imageProblem(image)).filter(Boolean)
    const fine = chosen.filter((image) => !imageProblem(image))
    const messages = [...new Set([tooMany, ...problems].filter(Boolean))]
    if (messages.length) setFields((old) => ({ ...old, evidence_urls: messages.join('；') }))
    for (const image of fine) {
      setUploading((n) => n + 1)
      try {
        const stored = await uploadImage(image)
        setImages((old) => (old.length < MAX_IMAGES ? [...old, stored] : old))
      } catch (e) {
        setFields((old) => ({ ...old, evidence_urls: messageOf(e) }))
      } finally {
        setUploading((n) => n - 1)
      }
    }
  }

  const submit = async () => {
    // Only while the notice takes objections (the form is not shown otherwise; a stale page is checked too).
    if (sending.current || noticeId === null || notice?.window_state !== 'open') return
    setError('')
    const problems = objectionProblems(form)
    setFields(problems)
    if (Object.keys(problems).length) {
      setError(MESSAGES.validation)
      return
    }
    if (uploading) {
      setError('图片正在上传，请稍候再提交')
      return
    }
    sending.current = true
    setBusy(true)
    // From the tap itself, as WeChat requires: ask to be told of the reply (weapp only).
    const asked = askForReplyMessage(meta?.subscribe_templates?.objection_result)
    try {
      await asked
      const answer = await api.post<Receipt>(
        `/publicity/${noticeId}/objections`,
        objectionBody(form, images.map((image) => image.url)),
        { submission },
      )
      submission.done()
      if (draftKey) forgetDraft(deviceStorage, draftKey)
      setReceipt(answer)
      Taro.pageScrollTo({ scrollTop: 0, duration: 0 }).catch(() => undefined)
    } catch (e) {
      if (e instanceof ApiError && e.kind === 'validation' && Object.keys(e.fields).length) {
        const next: Record<string, string> = {}
        for (const [name, message] of Object.entries(e.fields)) {
          if (['zone_id', 'name', 'phone', 'organisation', 'contact_person', 'id_number', 'reason', 'evidence_urls'].includes(fieldOf(name))) {
            next[fieldOf(name)] = next[fieldOf(name)] || message
          }
        }
        setFields(next)
        // Each problem is said beside its field: above them, what the booking form says (not the
        // service's own 请求参数有误).
        if (Object.keys(next).length) {
          setError(MESSAGES.validation)
          return
        }
      }
      setError(messageOf(e))
    } finally {
      sending.current = false
      setBusy(false)
    }
  }

  if (loadError) {
    return (
      <Screen>
        <ErrorNotice message={loadError} onRetry={retryable ? load : undefined} />
        <WayOut way={ways.notices} />
      </Screen>
    )
  }
  if (!notice) {
    return (
      <Screen>
        <Loading />
      </Screen>
    )
  }
  if (receipt) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          提出异议
        </Text>
        <ReceiptView receipt={receipt} noticeId={notice.id} />
      </Screen>
    )
  }

  const zoneNames = notice.zones.map((z) => z.name)
  const zoneIndex = notice.zones.findIndex((z) => z.zone_id === form.zoneId)
  const reasonLength = charCount(form.reason.trim())

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        提出异议
      </Text>
      <Text className='t-body muted' style={{ display: 'block' }}>
        {notice.title}（公示期：{periodText(notice.starts_at, notice.ends_at)}）
      </Text>
      {notice.window_state !== 'open' ? (
        <>
          <ErrorNotice message={notice.window_state === 'upcoming' ? '公示尚未开始，请在公示期内提出异议' : '公示期已结束，不再受理异议'} />
          <View className='row'>
            <Button className='btn' {...pressable('返回公示')} onClick={() => Taro.redirectTo({ url: routes.publicity(notice.id) })}>
              返回公示
            </Button>
          </View>
        </>
      ) : null}
      {notice.window_state === 'open' ? (
        <>
          {!isSignedIn() ? (
            <View className='notice notice--warn'>
              <Text className='t-body' style={{ display: 'block' }}>
                异议须实名提出，提交前请先登录。
              </Text>
              <View className='row'>
                <Button className='btn btn--small' {...pressable('去登录')} onClick={askToSignIn}>
                  去登录
                </Button>
              </View>
            </View>
          ) : null}

          <Field label='异议项目' error={fields.zone_id}>
            <Picker mode='selector' range={zoneNames} value={Math.max(zoneIndex, 0)} onChange={(e) => set('zoneId', notice.zones[Number(e.detail.value)].zone_id)}>
              <Text className='chip' {...pressable(`异议项目：${zoneIndex >= 0 ? zoneNames[zoneIndex] : '请选择'}`)}>
                {zoneIndex >= 0 ? zoneNames[zoneIndex] : '请选择项目'} ▾
              </Text>
            </Picker>
          </Field>
          <Field label='真实姓名' error={fields.name}>
            <Input className='input' value={form.name} placeholder='与证件一致' {...inputLabel('真实姓名')} onInput={(e) => set('name', e.detail.value)} />
          </Field>
          <Field label='手机号码' error={fields.phone} hint='用于核实与答复，不会公开'>
            {/* tel, not number: a number field drops the "+" of an international number (+852…) */}
            <Input
              className='input'
              value={form.phone}
              maxlength={PHONE_MAX_TYPED}
              placeholder='11 位手机号码，或 +852 等国际号码'
              {...phoneInput('手机号码')}
              onInput={(e) => set('phone', e.detail.value)}
            />
          </Field>
          <Field label='单位名称（选填）' error={fields.organisation} hint='以单位名义提出时填写'>
            <Input className='input' value={form.organisation} {...inputLabel('单位名称（选填）')} onInput={(e) => set('organisation', e.detail.value)} />
          </Field>
          {form.organisation.trim() ? (
            <Field label='单位联系人' error={fields.contact_person}>
              <Input className='input' value={form.contactPerson} {...inputLabel('单位联系人')} onInput={(e) => set('contactPerson', e.detail.value)} />
            </Field>
          ) : null}
          <Chips<IdType> label='证件类型' options={ID_TYPES} value={form.idType} onChange={(idType) => set('idType', idType)} />
          <Field label='证件号码（选填）' error={fields.id_number} hint='填写后便于核实身份，不会公开'>
            <Input
              className='input'
              type={form.idType === 'resident_id' ? 'idcard' : 'text'}
              value={form.idNumber}
              maxlength={32}
              {...inputLabel('证件号码（选填）')}
              onInput={(e) => set('idNumber', e.detail.value)}
            />
          </Field>
          <Field
            label='异议理由'
            error={fields.reason}
            hint={restored ? '已恢复上次未提交的异议理由（只存在本机，提交或退出登录后清除）' : '未提交时暂存在本机，提交或退出登录后清除'}
          >
            <Textarea
              className='input textarea'
              value={form.reason}
              maxlength={TEXTAREA_MAX}
              placeholder='请写明具体事实和依据，至少 10 个字'
              {...inputLabel('异议理由')}
              onInput={(e) => set('reason', e.detail.value)}
            />
            <Text className={`t-small${reasonLength > REASON_MAX ? ' error-text' : ' muted'}`} style={{ display: 'block', textAlign: 'right' }}>
              {reasonLength}/{REASON_MAX} 字
            </Text>
          </Field>
          <Field label={`证明图片（选填，最多 ${MAX_IMAGES} 张，每张不超过 5 MB）`} error={fields.evidence_urls}>
            <View className='evidence'>
              {images.map((image, index) => (
                <View key={image.url} className='evidence__item'>
                  <Image className='evidence__image' src={image.path} mode='aspectFill' {...imageAlt(`证明图片 ${index + 1}`)} />
                  <Text
                    className='chip'
                    {...pressable(`删除证明图片 ${index + 1}`)}
                    onClick={() => setImages((old) => old.filter((item) => item !== image))}
                  >
                    删除
                  </Text>
                </View>
              ))}
            </View>
            {uploading ? <Text className='t-small muted' style={{ display: 'block' }}>正在上传图片…</Text> : null}
            {images.length < MAX_IMAGES ? (
              <Button className='btn btn--small' {...pressable('添加证明图片')} onClick={addImages}>
                添加证明图片
              </Button>
            ) : null}
          </Field>

          {process.env.TARO_ENV === 'weapp' ? (
            <Text className='t-small muted' style={{ display: 'block', marginTop: '16px' }}>
              提交时可选择接收处理结果的微信通知。
            </Text>
          ) : null}
          {error ? <ErrorNotice message={error} /> : null}
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('提交异议', { disabled: busy })} onClick={submit}>
              {busy ? '正在提交…' : '提交异议'}
            </Button>
          </View>
        </>
      ) : null}
    </Screen>
  )
}
