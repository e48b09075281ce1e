import { expect, test, type APIRequestContext } from '@playwright/test'
import { acceptPolicy, acceptPolicyByApi, checkPage, openTab, PNG, pageTitle } from './helpers'

// Students (校园低碳): a student signs in, declares a school (and is told what waiting for the school
// means), joins a class with the teacher's code, checks in an action and finds themself on the boards.
// The class code comes from the demo data through the staff API, as a teacher would read it in the console.

const MP = '/api/mp/v1'
const ADMIN = '/api/admin/v1'

interface Setup {
  campaignId: number
  campaignTitle: string
  schoolId: number
  schoolName: string
  joinCode: string
  className: string
  schoolToken: string
}

async function ok<T>(response: Awaited<ReturnType<APIRequestContext['get']>>): Promise<T> {
  expect(response.ok(), `${response.url()} → ${response.status()}`).toBeTruthy()
  return (await response.json()) as T
}

/** The demo school's running campaign and a class join code (the demo school admin's). */
async function demoSchool(request: APIRequestContext): Promise<Setup> {
  const campaigns = await ok<{ items: { id: number; title: string; school_id: number; school_name: string; state: string }[] }>(
    await request.get(`${MP}/campaigns?per_page=50`),
  )
  const running = campaigns.items.find((c) => c.state === 'running' && c.title === '绿色出行周')
  expect(running, 'the demo data has a running campaign').toBeTruthy()
  const login = await ok<{ token: string }>(
    await request.post(`${ADMIN}/auth/login`, { data: { username: 'school', password: 'school-demo-2026' } }),
  )
  const classes = await ok<{ items: { name: string; join_code: string }[] }>(
    await request.get(`${ADMIN}/schools/${running!.school_id}/classes`, { headers: { Authorization: `Bearer ${login.token}` } }),
  )
  return {
    campaignId: running!.id,
    campaignTitle: running!.title,
    schoolId: running!.school_id,
    schoolName: running!.school_name,
    joinCode: classes.items[0].join_code,
    className: classes.items[0].name,
    schoolToken: login.token,
  }
}

/**
 * The school's admin confirms, from the students list, the age band students declared: a class code
 * confirms the class only (it goes to the whole class and says nothing of one child's age).
 */
async function schoolConfirms(request: APIRequestContext, setup: Setup, nickname: string): Promise<void> {
  const headers = { Authorization: `Bearer ${setup.schoolToken}` }
  const awaiting = await ok<{ items: { user_id: number; nickname: string | null }[] }>(
    await request.get(`${ADMIN}/schools/${setup.schoolId}/students?awaiting=true&per_page=100`, { headers }),
  )
  const ids = awaiting.items.filter((s) => s.nickname === nickname).map((s) => s.user_id)
  expect(ids.length, `${nickname} waits for the school's confirmation`).toBeGreaterThan(0)
  await ok(await request.post(`${ADMIN}/schools/${setup.schoolId}/students/confirm`, { headers, data: { user_ids: ids } }))
}

/** A classmate who shares a note when checking in (a post to report), through the API. */
async function classmatePosts(request: APIRequestContext, setup: Setup, nickname: string, note: string): Promise<void> {
  const login = await ok<{ token: string }>(
    await request.post(`${MP}/auth/login`, { data: { code: `mate${Date.now()}:${Math.floor(Math.random() * 1e6)}` } }),
  )
  const headers = { Authorization: `Bearer ${login.token}` }
  await acceptPolicyByApi(request, login.token)
  await ok(await request.patch(`${MP}/me`, { headers, data: { school_id: setup.schoolId, age_band: '14_17', nickname } }))
  await ok(await request.post(`${MP}/me/class`, { headers, data: { join_code: setup.joinCode } }))
  await schoolConfirms(request, setup, nickname)
  expect((await request.post(`${MP}/campaigns/${setup.campaignId}/join`, { headers })).status()).toBe(204)
  await ok(await request.post(`${MP}/campaigns/${setup.campaignId}/checkins`, { headers, data: { action: 'lights_off', quantity: 1, note } }))
}

test('a student joins a class by code, checks in an action and finds themself on the boards', async ({ page, request }) => {
  test.setTimeout(180_000) // one long journey: ten pages, each checked by axe
  const setup = await demoSchool(request)
  const nickname = '小树'
  await classmatePosts(request, setup, '小松', '今天放学随手关了教室的灯')

  // Sign in (development sign-in) and open 校园低碳 from 我的.
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByLabel('开发用登录用户名').fill(`student${Date.now()}`)
  await page.getByRole('button', { name: '开发用登录' }).click()
  await expect(page.getByRole('heading', { name: '个人信息' })).toBeVisible()
  await acceptPolicy(page) // the first sign-in asks for the privacy policy, as it would a person
  await page.getByRole('link', { name: /^校园低碳/ }).click()
  await expect(pageTitle(page, '校园低碳')).toBeVisible()
  await expect(page.getByText('还没有加入学校')).toBeVisible()
  await checkPage(page, 'students-home')

  // Declare the school first: the page says what waiting for the school's confirmation means.
  await page.getByRole('button', { name: `学校：${setup.schoolName}` }).click()
  await page.getByRole('button', { name: '年龄段：14 至 17 周岁' }).click()
  await page.getByLabel('榜单昵称').fill(nickname)
  await page.getByRole('button', { name: '保存学校和班级' }).click()
  await expect(page.getByText('等待学校确认', { exact: true })).toBeVisible()
  await expect(page.getByText(/学校还没有确认你是本校学生：确认前你不会出现在任何公开榜单上/)).toBeVisible()
  await expect(page.getByText(/你申报的年龄段“14 至 17 周岁”待学校确认/)).toBeVisible()
  await page.getByRole('heading', { name: '我的学生身份' }).scrollIntoViewIfNeeded()
  await checkPage(page, 'students-awaiting')

  // Not yet confirmed: the school-only campaign refuses, with a clear explanation.
  await page.getByRole('link', { name: `活动：${setup.campaignTitle}` }).first().click()
  await expect(pageTitle(page, setup.campaignTitle)).toBeVisible()
  await page.getByRole('button', { name: '参加活动' }).click()
  await expect(page.getByText(/学校还没有确认你是本校学生，所以暂时不能参加这个活动/)).toBeVisible()
  await checkPage(page, 'students-not-confirmed')

  // Join the class with the teacher's code (typed in lower case with a space, as read aloud).
  await page.getByRole('button', { name: '去输入班级码' }).click()
  await expect(pageTitle(page, '校园低碳')).toBeVisible()
  const typed = `${setup.joinCode.slice(0, 4)} ${setup.joinCode.slice(4)}`.toLowerCase()
  await page.getByLabel('班级码', { exact: true }).fill(typed)
  await page.getByRole('button', { name: '加入班级' }).click()
  await expect(page.getByText(`已加入${setup.className}，学校已确认你的学生身份。`)).toBeVisible()
  await expect(page.getByText('学校已确认', { exact: true })).toBeVisible()
  await expect(page.getByText(`班级：${setup.className}`)).toBeVisible()
  // Confirmed, a student still changes their age band and nickname, and their class with a new code.
  await expect(page.getByRole('heading', { name: '年龄段和榜单昵称' })).toBeVisible()
  await expect(page.getByRole('heading', { name: '换班级？输入新班级的班级码' })).toBeVisible()
  // The class code confirmed the class, not the age band declared: that waits for the school's list.
  await expect(page.getByText(/你申报的年龄段“14 至 17 周岁”待学校确认/)).toBeVisible()
  await page.getByRole('heading', { name: '我的学生身份' }).scrollIntoViewIfNeeded()
  await checkPage(page, 'students-confirmed')
  await schoolConfirms(request, setup, nickname)

  // Follow the school.
  await page.getByRole('button', { name: `关注${setup.schoolName}` }).click()
  await expect(page.getByRole('button', { name: `取消关注${setup.schoolName}` })).toBeVisible()

  // Join the campaign and check in: every action shows its factor and source.
  await page.getByRole('link', { name: `活动：${setup.campaignTitle}` }).first().click()
  await expect(pageTitle(page, setup.campaignTitle)).toBeVisible()
  await page.getByRole('button', { name: '参加活动' }).click()
  await expect(page.getByRole('heading', { name: '绿色行动打卡' })).toBeVisible()
  await expect(page.getByText('减排系数：每餐 0.144 千克 CO₂e', { exact: false })).toBeVisible()
  await expect(page.getByText(/^来源：泸州碳普惠积分规则/).first()).toBeVisible()
  await checkPage(page, 'students-campaign')

  await page.getByRole('button', { name: '选择行动：光盘行动' }).click()
  await page.getByLabel('数量', { exact: true }).fill('1.5')
  await page.getByRole('button', { name: '打卡', exact: true }).click()
  await expect(page.getByText('“餐”须为整数')).toBeVisible()
  await page.getByLabel('数量', { exact: true }).fill('1')
  await expect(page.getByText('预计减排约 0.144 千克 CO₂e（以提交后的结果为准）')).toBeVisible()
  await page.getByLabel('想说的话').fill('午饭吃得干干净净')
  await page.getByRole('button', { name: '打卡', exact: true }).click()
  await expect(page.getByText('打卡成功：减排约 0.144 千克 CO₂e，获得 5 积分')).toBeVisible()
  await expect(page.getByRole('heading', { name: '我的进度' })).toBeVisible()
  await expect(page.locator('.figure').filter({ hasText: '连续打卡' })).toContainText('1 天')
  await expect(page.locator('.figure').filter({ hasText: '我的减排' })).toContainText('0.144 千克')
  await page.getByText('打卡成功：减排约 0.144 千克 CO₂e，获得 5 积分').scrollIntoViewIfNeeded()
  await checkPage(page, 'students-checked-in')

  // The same check-in again the same day: the service's refusal, in Chinese.
  await page.getByRole('button', { name: '选择行动：光盘行动' }).click()
  await page.getByLabel('数量', { exact: true }).fill('1')
  await page.getByRole('button', { name: '打卡', exact: true }).click()
  await expect(page.getByText('这项行动今天已经打过卡了')).toBeVisible()

  // Recorded for yesterday instead (补记): the form offers the last week's days; the refusal goes.
  await page.getByRole('button', { name: '日期：昨天' }).click()
  await expect(page.getByText('这项行动今天已经打过卡了')).toHaveCount(0)
  await page.getByRole('button', { name: '打卡', exact: true }).click()
  await expect(page.getByText('打卡成功：减排约 0.144 千克 CO₂e，获得 5 积分')).toBeVisible()
  await page.getByRole('button', { name: '日期：今天' }).click()

  // Another action with a photo of it, the same day: the photo weighs 1.5× (2 bottles × 2 points × 1.5).
  await page.getByRole('button', { name: '选择行动：自带水杯（不买瓶装饮料）' }).click()
  await page.getByLabel('数量', { exact: true }).fill('2')
  const chooser = page.waitForEvent('filechooser')
  await page.getByRole('button', { name: '添加照片' }).click()
  await (await chooser).setFiles({ name: 'bottle.png', mimeType: 'image/png', buffer: PNG })
  await expect(page.getByRole('img', { name: '打卡照片' })).toBeVisible()
  await page.getByRole('button', { name: '打卡', exact: true }).click()
  await expect(page.getByText(/^打卡成功：减排约 0\.16 千克 CO₂e，获得 6 积分/)).toBeVisible()
  await expect(page.getByRole('img', { name: '打卡照片' })).toHaveCount(0)

  // The board by student: my row, highlighted with 我, at the rank the public board gives me.
  const board = await ok<{ items: { name: string; rank: number }[] }>(
    await request.get(`${MP}/campaigns/${setup.campaignId}/leaderboard?by=student&top=50`),
  )
  const mine = board.items.find((e) => e.name === nickname)
  expect(mine, 'the confirmed 14–17 student is on the public board').toBeTruthy()
  await page.getByRole('link', { name: '查看榜单' }).click()
  await expect(pageTitle(page, '榜单')).toBeVisible()
  const myRow = page.locator('.board-row--me')
  await expect(myRow).toHaveCount(1)
  await expect(myRow).toContainText(nickname)
  await expect(myRow).toContainText('我')
  await expect(myRow).toContainText(`第 ${mine!.rank} 名`)
  await expect(myRow).toContainText('16 积分') // 5 + 5 for the clean plates (today, yesterday), 6 for the bottles with their photo
  await checkPage(page, 'students-board')

  await page.getByRole('button', { name: '班级榜' }).click()
  await expect(page.locator('.board-row--me')).toContainText(setup.className)
  await expect(page.locator('.board-row--me')).toContainText('我的班级')
  await checkPage(page, 'students-board-class')

  await page.getByRole('button', { name: '学校榜' }).click()
  await expect(page.locator('.board-row--me')).toContainText(setup.schoolName)
  await checkPage(page, 'students-board-school')

  // Classmates' posts: report one.
  await page.goBack()
  await expect(pageTitle(page, setup.campaignTitle)).toBeVisible()
  await page.getByRole('link', { name: '同学分享' }).click()
  await expect(pageTitle(page, '同学分享')).toBeVisible()
  await expect(page.getByText('今天放学随手关了教室的灯')).toBeVisible()
  await expect(page.getByText('午饭吃得干干净净')).toBeVisible()
  await expect(page.getByRole('button', { name: `举报${nickname}的分享` })).toHaveCount(0)
  await checkPage(page, 'students-posts')
  await page.getByRole('button', { name: '举报小松的分享' }).click()
  await page.getByRole('button', { name: '提交举报' }).click()
  await expect(page.getByText('请写明举报原因（至少 2 个字）')).toBeVisible()
  await page.getByLabel('举报原因').fill('与活动无关')
  await page.getByRole('button', { name: '提交举报' }).click()
  await expect(page.getByText('已举报，感谢你的提醒，学校会尽快处理。')).toBeVisible()
  await checkPage(page, 'students-reported')

  // Leave the public boards: the board then shows my rank apart, to me only, and not in the public list.
  await page.goBack()
  await page.goBack()
  await expect(pageTitle(page, '校园低碳')).toBeVisible()
  const publicSwitch = page.getByRole('switch', { name: '愿意出现在公开榜单上' })
  await expect(publicSwitch).toHaveAttribute('aria-checked', 'true')
  await publicSwitch.click()
  await expect(publicSwitch).toHaveAttribute('aria-checked', 'false')
  await expect(page.getByText('你选择了不出现在公开榜单上：只有你自己能看到自己的名次。')).toBeVisible()
  await page.getByRole('link', { name: `活动：${setup.campaignTitle}` }).first().click()
  await page.getByRole('link', { name: '查看榜单' }).click()
  await expect(page.getByRole('heading', { name: '我的名次' })).toBeVisible()
  await expect(page.getByText(/^只有你自己能看到这一行/)).toBeVisible()
  await expect(page.locator('.board-row').filter({ hasText: nickname })).toHaveCount(0)
  await checkPage(page, 'students-board-private')
})

test('a visitor reads a campaign and its boards without signing in', async ({ page, request }) => {
  const setup = await demoSchool(request)
  await page.goto(`./#/packages/students/index`)
  await expect(pageTitle(page, '校园低碳')).toBeVisible()
  await expect(page.getByRole('button', { name: '去登录' })).toBeVisible()
  await page.getByRole('button', { name: `看${setup.schoolName}的活动` }).click()
  await expect(page.getByRole('heading', { name: `低碳活动：${setup.schoolName}` })).toBeVisible()
  await page.getByRole('link', { name: `活动：${setup.campaignTitle}` }).click()
  await expect(pageTitle(page, setup.campaignTitle)).toBeVisible()
  await expect(page.getByRole('heading', { name: '绿色行动' })).toBeVisible()
  await expect(page.getByRole('button', { name: '参加活动' })).toHaveCount(0)
  await page.getByRole('link', { name: '查看榜单' }).click()
  await expect(page.locator('.board-row').first()).toBeVisible()
  await expect(page.locator('.board-row--me')).toHaveCount(0)
  await expect(page.getByText('登录后可看到自己的名次。')).toBeVisible()
  await checkPage(page, 'students-board-visitor')
})

test('the students pages work in large text (适老化) without overflowing', async ({ page, request }) => {
  const setup = await demoSchool(request)
  await page.goto('./')
  await openTab(page, '我的')
  await page.getByRole('switch', { name: '大字模式' }).click()
  await page.getByRole('link', { name: /^校园低碳/ }).click()
  await expect(pageTitle(page, '校园低碳')).toBeVisible()
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  expect(await overflow(), '校园低碳 in large text').toBeLessThanOrEqual(0)
  await page.getByRole('link', { name: `活动：${setup.campaignTitle}` }).first().click()
  await expect(pageTitle(page, setup.campaignTitle)).toBeVisible()
  expect(await overflow(), 'the campaign in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'students-campaign-large-text')
  await page.getByRole('link', { name: '查看榜单' }).click()
  await expect(page.locator('.board-row').first()).toBeVisible()
  expect(await overflow(), 'the board in large text').toBeLessThanOrEqual(0)
  await checkPage(page, 'students-board-large-text')
})
