import { Button, Input, Text, View } from '@tarojs/components'
import Taro, { useDidShow } from '@tarojs/taro'
import { useState } from 'react'
import { ApiError, type Failure, failureOf, messageOf } from '@/api'
import { heading, inputLabel, linkTo, pressable, switchRole } from '@/components/a11y'
import Screen from '@/components/Screen'
import { ErrorNotice, FieldError } from '@/components/Status'
import { devNameProblem } from '@/lib/devlogin'
import { loadMeta, useMeta, useMetaFailure } from '@/lib/meta'
import { devLoginOffered, isSignedIn, loadProfile, signInAsDeveloper, signInWithWeChat, signOut, useSession } from '@/lib/session'
import { setLargeText, useSettings } from '@/lib/settings'
import { useBusy } from '@/lib/useBusy'
import { routes } from '@/routes'

const ROLE_LABELS: Record<string, string> = {
  citizen: '市民',
  student: '学生',
  base_operator: '基地核验员',
}

function SignIn() {
  const meta = useMeta()
  const metaFailure = useMetaFailure()
  const [name, setName] = useState('')
  const [error, setError] = useState('')
  const [nameError, setNameError] = useState('')
  const guard = useBusy()
  const busy = guard.busy
  const dev = devLoginOffered(meta)

  // One sign-in at a time: a double tap on 开发用登录 sends one request.
  const run = (work: () => Promise<unknown>) =>
    guard.run(async () => {
      setError('')
      try {
        await work()
      } catch (e) {
        setError(messageOf(e))
      }
    })
  const devSignIn = () => {
    const problem = devNameProblem(name)
    setNameError(problem)
    if (!problem) run(() => signInAsDeveloper(name.trim()))
  }

  return (
    <View className='card'>
      <Text className='card__title' {...heading(2)}>
        登录
      </Text>
      <Text className='t-body muted'>登录后可预约参观、提出异议、关注示范区和学校。</Text>
      {error ? <ErrorNotice message={error} /> : null}
      {process.env.TARO_ENV === 'weapp' ? (
        <View className='row'>
          <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('微信登录')} onClick={() => run(signInWithWeChat)}>
            微信登录
          </Button>
        </View>
      ) : null}
      {dev ? (
        <View className='field'>
          <Text className='field__label'>开发用登录（模拟微信）：用户名</Text>
          <Input className='input' value={name} placeholder='例如 alice' {...inputLabel('开发用登录用户名')} onInput={(e) => setName(e.detail.value)} />
          <FieldError message={nameError} />
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('开发用登录', { disabled: busy })} onClick={devSignIn}>
              开发用登录
            </Button>
          </View>
        </View>
      ) : null}
      {process.env.TARO_ENV === 'h5' && meta && !dev ? <Text className='t-body muted'>请在微信中打开小程序登录。</Text> : null}
      {/* h5 learns from /meta how to sign in: without it, say why, with a 重试 that asks again. */}
      {process.env.TARO_ENV === 'h5' && !meta && metaFailure ? (
        <ErrorNotice
          message={`暂时无法登录：${metaFailure.message}`}
          onRetry={metaFailure.retry ? () => loadMeta().catch(() => undefined) : undefined}
        />
      ) : null}
      {process.env.TARO_ENV === 'h5' && !meta && !metaFailure ? <Text className='t-body muted'>正在准备登录…</Text> : null}
    </View>
  )
}

export default function Me() {
  const { user } = useSession()
  const { largeText } = useSettings()
  const [failure, setFailure] = useState<Failure | null>(null)

  const refresh = () => {
    setFailure(null)
    // Back on the tab after the network failed: ask /meta again (it says how to sign in on h5).
    loadMeta().catch(() => undefined)
    // An expired sign-in is shown once, by <Screen>'s sign-in prompt.
    if (isSignedIn()) loadProfile().catch((e) => (e instanceof ApiError && e.kind === 'auth' ? undefined : setFailure(failureOf(e))))
  }
  useDidShow(refresh)

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        我的
      </Text>
      {failure ? <ErrorNotice message={failure.message} onRetry={failure.retry ? refresh : undefined} /> : null}
      {user ? (
        <View className='card'>
          <Text className='card__title' {...heading(2)}>
            个人信息
          </Text>
          <Text className='t-body' style={{ display: 'block' }}>
            昵称：{user.display_name || `用户${user.id}`}
          </Text>
          <Text className='t-body' style={{ display: 'block' }}>
            身份：{(user.roles ?? []).map((r) => ROLE_LABELS[r] ?? r).join('、') || '市民'}
          </Text>
          {user.phone ? (
            <Text className='t-body' style={{ display: 'block' }}>
              手机号：{user.phone}
            </Text>
          ) : null}
          <View className='row'>
            <Button className='btn' {...pressable('退出登录')} onClick={() => signOut().catch(() => undefined)}>
              退出登录
            </Button>
          </View>
        </View>
      ) : (
        <SignIn />
      )}
      {user ? (
        <>
          <View className='card' {...linkTo('我的关注')} onClick={() => Taro.navigateTo({ url: routes.myFollows() })}>
            <Text className='card__title'>我的关注</Text>
            <Text className='card__meta'>关注的示范区和学校</Text>
          </View>
          <View className='card' {...linkTo('我的动态')} onClick={() => Taro.navigateTo({ url: routes.myFeed() })}>
            <Text className='card__title'>我的动态</Text>
            <Text className='card__meta'>关注的示范区进展、学校活动</Text>
          </View>
        </>
      ) : null}
      {user ? (
        <View className='card' {...linkTo('我的异议')} onClick={() => Taro.navigateTo({ url: routes.myObjections() })}>
          <Text className='card__title'>我的异议</Text>
          <Text className='card__meta'>公示异议的处理进展与答复</Text>
        </View>
      ) : null}

      <View className='card' {...linkTo('校园低碳：班级、活动打卡与榜单')} onClick={() => Taro.navigateTo({ url: routes.students() })}>
        <Text className='card__title'>校园低碳</Text>
        <Text className='card__meta'>学生用班级码加入班级，参加学校的低碳活动打卡</Text>
      </View>

      <View className='card'>
        <Text className='card__title' {...heading(2)}>
          隐私与个人数据
        </Text>
        <View className='me-entry' {...linkTo('隐私保护指引')} onClick={() => Taro.navigateTo({ url: routes.privacy() })}>
          <Text className='t-body'>隐私保护指引</Text>
          {user?.needs_consent ? <Text className='tag'>待同意</Text> : null}
        </View>
        {user ? (
          <>
            <View className='me-entry' {...linkTo('导出我的数据')} onClick={() => Taro.navigateTo({ url: routes.myExport() })}>
              <Text className='t-body'>导出我的数据</Text>
            </View>
            <View className='me-entry' {...linkTo('监护人授权')} onClick={() => Taro.navigateTo({ url: routes.guardian() })}>
              <Text className='t-body'>监护人授权</Text>
            </View>
            <View className='me-entry' {...linkTo('注销账号')} onClick={() => Taro.navigateTo({ url: routes.deleteAccount() })}>
              <Text className='t-body'>注销账号</Text>
            </View>
          </>
        ) : null}
      </View>

      <View className='card'>
        <Text className='card__title' {...heading(2)}>
          显示设置
        </Text>
        <View className='row' style={{ justifyContent: 'space-between' }}>
          <Text className='t-body'>大字模式（适老化）</Text>
          <Text
            className={`chip${largeText ? ' chip--on' : ''}`}
            {...switchRole('大字模式', largeText)}
            onClick={() => setLargeText(!largeText)}
          >
            {largeText ? '已开启' : '已关闭'}
          </Text>
        </View>
        <Text className='t-small muted'>开启后全部页面的文字放大，按钮更易点按。</Text>
      </View>
    </Screen>
  )
}
