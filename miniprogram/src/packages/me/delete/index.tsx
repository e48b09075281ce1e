import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect, useRef, useState } from 'react'
import { api, messageOf } from '@/api'
import { alertRole, heading, pressable, statusRole } from '@/components/a11y'
import '../me.scss'
import Screen from '@/components/Screen'
import { ErrorNotice } from '@/components/Status'
import { type Deletion, FINAL_CONFIRM_DELAY_MS, finalConfirmReady } from '@/lib/me-rights'
import { forgetSignedInUser, isSignedIn, useSession } from '@/lib/session'
import { routes, tabs } from '@/routes'
import { NeedSignIn } from '../parts'

const DELETED = [
  '个人资料（昵称、手机号）与学生信息（学校、班级）',
  '关注的示范区与学校、活动打卡的文字与照片',
  '未来的预约（自动取消，名额让给候补）与预约的参观人信息',
  '全部登录凭证：注销后本机立即退出登录',
]
const KEPT = [
  '仍在处理中的异议：办结后，其中的个人信息随即清除',
  '不含个人信息的统计（如活动的减碳总量）',
  '一条不含个人信息的账号记录，供审计核查',
]

/** 注销账号: explained, asked twice, then signed out here too. */
export default function DeleteAccount() {
  const { user } = useSession()
  const [step, setStep] = useState<0 | 1 | 2>(0)
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<Deletion | null>(null)
  // The last step: when it appeared, and whether its button may be tapped yet (a double tap on
  // 确定注销 must not delete: the second tap finds no enabled button to land on).
  const shownAt = useRef(0)
  const [ready, setReady] = useState(false)

  useEffect(() => {
    if (step !== 2) return undefined
    shownAt.current = Date.now()
    setReady(false)
    const timer = setTimeout(() => setReady(true), FINAL_CONFIRM_DELAY_MS)
    return () => clearTimeout(timer)
  }, [step])

  const confirmDeletion = async () => {
    if (busy || step !== 2 || !finalConfirmReady(shownAt.current, Date.now())) return
    setBusy(true)
    setError('')
    try {
      const answer = await api.post<Deletion>('/me/deletion', { confirm: true })
      // The service has revoked every token: forget ours and the profile, without calling logout.
      forgetSignedInUser()
      setResult(answer)
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }

  if (result) {
    return (
      <Screen>
        <Text className='t-title' {...heading(1)}>
          账号已注销
        </Text>
        <View className='card' {...statusRole()}>
          <Text className='t-body' style={{ display: 'block' }}>
            您的账号已注销，本机已退出登录。
          </Text>
          {result.bookings_cancelled ? (
            <Text className='t-body' style={{ display: 'block' }}>
              已取消 {result.bookings_cancelled} 个未来的预约。
            </Text>
          ) : null}
          {result.objections_kept_open ? (
            <Text className='t-body' style={{ display: 'block' }}>
              {result.objections_kept_open} 件异议仍在处理中，办结后其中的个人信息随即清除。
            </Text>
          ) : null}
          <Text className='t-small muted' style={{ display: 'block' }}>
            之后用同一微信登录，将是一个全新的账号。
          </Text>
          <View className='row'>
            <Button className='btn btn--primary' {...pressable('返回首页')} onClick={() => Taro.switchTab({ url: tabs.home })}>
              返回首页
            </Button>
          </View>
        </View>
      </Screen>
    )
  }
  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        注销账号
      </Text>
      {!user && !isSignedIn() ? <NeedSignIn what='注销账号' /> : null}
      {user ? (
        <>
          <View className='card'>
            <Text className='card__title' {...heading(2)}>
              注销后删除
            </Text>
            {DELETED.map((line) => (
              <Text className='t-body' style={{ display: 'block' }} key={line}>
                · {line}
              </Text>
            ))}
            <Text className='card__title' {...heading(2)}>
              注销后保留
            </Text>
            {KEPT.map((line) => (
              <Text className='t-body' style={{ display: 'block' }} key={line}>
                · {line}
              </Text>
            ))}
            <Text className='t-small muted' style={{ display: 'block' }}>
              注销前可先
              <Text className='me-link' {...pressable('导出我的数据')} onClick={() => Taro.navigateTo({ url: routes.myExport() })}>
                导出我的数据
              </Text>
              保存一份副本。
            </Text>
          </View>
          {error ? <ErrorNotice message={error} /> : null}
          {step === 0 ? (
            <View className='row'>
              <Button className='btn btn--danger' {...pressable('申请注销账号')} onClick={() => setStep(1)}>
                申请注销
              </Button>
            </View>
          ) : null}
          {step === 1 ? (
            <View className='notice notice--warn' {...alertRole()}>
              <Text className='t-body' style={{ display: 'block' }}>
                确定要注销账号吗？
              </Text>
              <View className='row'>
                <Button className='btn btn--danger' {...pressable('确定注销')} onClick={() => setStep(2)}>
                  确定注销
                </Button>
                <Button className='btn' {...pressable('不注销了')} onClick={() => setStep(0)}>
                  不注销了
                </Button>
              </View>
            </View>
          ) : null}
          {step === 2 ? (
            // Laid out otherwise than step 1: where 确定注销 was there is text and 不注销了, and the last
            // button comes at the end, disabled for a moment.
            <View className='notice notice--warn' {...alertRole()}>
              <Text className='t-body' style={{ display: 'block', fontWeight: 600 }}>
                最后确认：注销立即生效，无法撤销，数据无法恢复。
              </Text>
              <Text className='t-body' style={{ display: 'block' }}>
                如果只是暂时不用，可以直接退出登录，无需注销。
              </Text>
              <View className='row'>
                <Button className='btn' {...pressable('不注销了')} onClick={() => setStep(0)}>
                  不注销了
                </Button>
              </View>
              <Text className='t-small muted' style={{ display: 'block', marginTop: '16px' }}>
                仍要注销，请点下面的按钮：
              </Text>
              <View className='row'>
                <Button
                  className='btn btn--danger'
                  disabled={!ready || busy || undefined}
                  {...pressable('确认注销，不可恢复', { disabled: !ready || busy })}
                  onClick={confirmDeletion}
                >
                  确认注销，不可恢复
                </Button>
              </View>
            </View>
          ) : null}
        </>
      ) : null}
    </Screen>
  )
}
