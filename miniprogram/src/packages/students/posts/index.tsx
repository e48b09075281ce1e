import { Button, Image, Input, Text, View } from '@tarojs/components'
import Taro, { useDidShow, useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { ApiError, api, type Failure, failureOf, messageOf, useSubmission } from '@/api'
import type { Page } from '@/api/types'
import { alertRole, heading, imageAlt, inputLabel, pressable } from '@/components/a11y'
import Screen from '@/components/Screen'
import WayOut from '@/components/WayOut'
import { Empty, ErrorNotice, FieldError, Loading } from '@/components/Status'
import { formatDate } from '@/lib/format'
import { isSignedIn, useSession } from '@/lib/session'
import { isOwnPost, postsEmptyText, type Campaign, type Post, type StudentSelf } from '@/lib/students-rules'
import { idParam } from '@/lib/params'
import { tabs, ways } from '@/routes'
import '../students.scss'

/** The report form under one post: a reason (2–200 characters), sent once. */
function ReportForm({ post, onClose }: { post: Post; onClose: (reported: boolean) => void }) {
  const [reason, setReason] = useState('')
  const [reasonError, setReasonError] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submission = useSubmission()

  const submit = async () => {
    const text = reason.trim()
    const problem = text.length < 2 ? '请写明举报原因（至少 2 个字）' : text.length > 200 ? '举报原因最多 200 字' : ''
    setReasonError(problem)
    setError('')
    if (problem) return
    setBusy(true)
    try {
      await api.post<{ reported: boolean }>(`/posts/${post.id}/reports`, { reason: text }, { submission })
      submission.done()
      onClose(true)
    } catch (e) {
      if (e instanceof ApiError && e.fields.reason) setReasonError(e.fields.reason)
      else setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <View className='field'>
      {error ? <ErrorNotice message={error} /> : null}
      <Text className='field__label'>举报原因</Text>
      <Input className='input' value={reason} maxlength={200} placeholder='例如 内容不文明' {...inputLabel('举报原因')} onInput={(e) => setReason(e.detail.value)} />
      <FieldError message={reasonError} />
      <View className='row'>
        <Button className='btn btn--primary btn--small' disabled={busy || undefined} {...pressable('提交举报')} onClick={submit}>
          提交举报
        </Button>
        <Button className='btn btn--small' {...pressable('取消举报')} onClick={() => onClose(false)}>
          取消
        </Button>
      </View>
    </View>
  )
}

function PostView({ post, actionName, mine }: { post: Post; actionName: string; mine: boolean }) {
  const [reporting, setReporting] = useState(false)
  const [reported, setReported] = useState(false)
  return (
    <View className='card'>
      <Text className='card__title'>
        {post.author}
        {mine ? <Text className='t-small me-tag'>我</Text> : null}
      </Text>
      <Text className='card__meta'>
        {actionName} · {formatDate(post.day)}
      </Text>
      {post.hidden ? (
        <View className='notice notice--warn'>
          <Text className='t-small'>这条分享已被隐藏，只有你自己能看到{post.hidden_reason ? `（原因：${post.hidden_reason}）` : ''}。</Text>
        </View>
      ) : null}
      {post.note ? (
        <Text className='t-body' style={{ display: 'block' }}>
          {post.note}
        </Text>
      ) : null}
      {post.photo_url ? <Image src={post.photo_url} mode='widthFix' style={{ width: '100%', marginTop: '12px' }} {...imageAlt(`${post.author}的打卡照片`)} /> : null}
      {reported ? (
        <View className='notice notice--ok' {...alertRole()}>
          <Text className='t-small'>已举报，感谢你的提醒，学校会尽快处理。</Text>
        </View>
      ) : null}
      {isSignedIn() && !mine && !reported && !post.hidden ? (
        reporting ? (
          <ReportForm
            post={post}
            onClose={(done) => {
              setReporting(false)
              setReported(done)
            }}
          />
        ) : (
          <View className='row'>
            <Button className='btn btn--small' {...pressable(`举报${post.author}的分享`)} onClick={() => setReporting(true)}>
              举报
            </Button>
          </View>
        )
      ) : null}
    </View>
  )
}

export default function PostsPage() {
  const { params } = useRouter()
  const id = idParam(params.id)
  const [posts, setPosts] = useState<Post[] | null>(null)
  const [total, setTotal] = useState(0)
  const [names, setNames] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<Failure | null>(null)
  const [schoolId, setSchoolId] = useState<number | null>(null)
  const { user } = useSession()
  const student = (user as { student?: StudentSelf | null } | null)?.student
  const me = user ? { id: user.id, nickname: student?.nickname } : null

  const load = useCallback(async () => {
    setFailure(null)
    if (id === null) {
      setFailure({ message: '找不到这个活动', retry: false })
      return
    }
    try {
      const [campaign, page] = await Promise.all([
        api.get<Campaign>(`/campaigns/${id}`),
        api.get<Page<Post>>(`/campaigns/${id}/posts`, { per_page: 50 }),
      ])
      setNames(Object.fromEntries(campaign.actions.map((a) => [a.code, a.name])))
      setSchoolId(campaign.school_id)
      setPosts(page.items)
      setTotal(page.total)
    } catch (e) {
      setFailure(failureOf(e))
    }
  }, [id])

  useDidShow(() => {
    load()
  })

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        同学分享
      </Text>
      <Text className='t-small muted' style={{ display: 'block' }}>
        同学们打卡时写的话和照片，只显示昵称。看到不当内容请举报，学校会审核。
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? load : undefined} /> : null}
      {failure && !failure.retry ? <WayOut way={ways.students} /> : null}
      {posts === null && !failure ? <Loading /> : null}
      {posts && !posts.length ? <Empty text={postsEmptyText(isSignedIn(), student, schoolId)} /> : null}
      {posts && posts.length ? <Text className='t-small muted'>共 {total} 条</Text> : null}
      {(posts ?? []).map((p) => (
        <PostView key={p.id} post={p} actionName={names[p.action] ?? '绿色行动'} mine={isOwnPost(p, me)} />
      ))}
      {!isSignedIn() ? (
        <View className='row'>
          <Button className='btn' {...pressable('登录后可举报')} onClick={() => Taro.switchTab({ url: tabs.me })}>
            登录后可举报
          </Button>
        </View>
      ) : null}
    </Screen>
  )
}
