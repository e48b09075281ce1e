import { Button, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'
import { api, messageOf } from '@/api'
import { heading, pressable, statusRole } from '@/components/a11y'
import '../me.scss'
import Screen from '@/components/Screen'
import { ErrorNotice } from '@/components/Status'
import { dateTimeText } from '@/lib/publicity-format'
import { exportFileName, exportSummary } from '@/lib/me-rights'
import { isSignedIn, useSession } from '@/lib/session'
import { NeedSignIn } from '../parts'

type Export = Record<string, unknown> & { generated_at?: string }

/** h5: the browser saves the JSON file. */
function download(data: Export): void {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = exportFileName(data.generated_at)
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** 导出我的数据: a copy of everything held about me (GET /me/export). */
export default function ExportMine() {
  const { user } = useSession()
  const [data, setData] = useState<Export | null>(null)
  const [error, setError] = useState('')
  const [done, setDone] = useState('')
  const [busy, setBusy] = useState(false)
  const h5 = process.env.TARO_ENV === 'h5'

  const fetchCopy = async () => {
    setBusy(true)
    setError('')
    setDone('')
    try {
      const answer = await api.get<Export>('/me/export')
      setData(answer)
      if (h5) {
        download(answer)
        setDone('已生成数据副本，浏览器将保存为 JSON 文件。')
      }
    } catch (e) {
      setError(messageOf(e))
    } finally {
      setBusy(false)
    }
  }
  const copy = async () => {
    if (!data) return
    try {
      await Taro.setClipboardData({ data: JSON.stringify(data, null, 2) })
      setDone('已复制到剪贴板，可粘贴到聊天或备忘录中保存。')
    } catch {
      setError('复制未成功，请重试')
    }
  }

  return (
    <Screen>
      <Text className='t-title' {...heading(1)}>
        导出我的数据
      </Text>
      {!user && !isSignedIn() ? <NeedSignIn what='导出本人数据的副本' /> : null}
      {user ? (
        <View className='card'>
          <Text className='t-body' style={{ display: 'block' }}>
            副本包含我们保存的您本人的全部信息：账号、学生信息、预约与参观人、候补、异议、活动与打卡、关注、上传的图片。不含任何他人的信息。
          </Text>
          {error ? <ErrorNotice message={error} /> : null}
          <View className='row'>
            <Button className='btn btn--primary' disabled={busy || undefined} {...pressable('生成我的数据副本')} onClick={fetchCopy}>
              {h5 ? '生成并下载' : '生成副本'}
            </Button>
          </View>
          {done ? (
            <Text className='t-body' style={{ display: 'block' }} {...statusRole()}>
              {done}
            </Text>
          ) : null}
        </View>
      ) : null}
      {data ? (
        <View className='card'>
          <Text className='card__title' {...heading(2)}>
            副本内容
          </Text>
          {data.generated_at ? <Text className='t-small muted' style={{ display: 'block' }}>生成时间：{dateTimeText(data.generated_at)}</Text> : null}
          {exportSummary(data).map((line) => (
            <Text className='t-body' style={{ display: 'block' }} key={line.key}>
              {line.label}：{line.text}
            </Text>
          ))}
          <View className='row'>
            {h5 ? (
              <Button className='btn' {...pressable('再次下载数据副本')} onClick={() => download(data)}>
                再次下载
              </Button>
            ) : (
              <Button className='btn' {...pressable('复制全部数据到剪贴板')} onClick={copy}>
                复制全部数据
              </Button>
            )}
          </View>
        </View>
      ) : null}
    </Screen>
  )
}
