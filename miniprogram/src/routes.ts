/**
 * Every page's URL, in one place: pages navigate with `Taro.navigateTo({ url: routes.zone(id) })`.
 * A page group in a subpackage (src/packages/<group>/) adds its routes here (see README: adding a page).
 */
export const tabs = {
  home: '/pages/home/index',
  zones: '/pages/zones/index',
  visits: '/pages/visits/index',
  me: '/pages/me/index',
} as const

export const routes = {
  zone: (id: number) => `/pages/zone/index?id=${id}`,
  // Subpackage entry pages: their groups fill them in (issue 24's other parts).
  publicity: (id?: number) => (id ? `/packages/publicity/notice/index?id=${id}` : '/packages/publicity/index'),
  objectionForm: (noticeId: number, zoneId?: number) =>
    `/packages/publicity/object/index?notice=${noticeId}${zoneId ? `&zone=${zoneId}` : ''}`,
  myObjections: () => '/packages/publicity/mine/index',
  myObjection: (receiptNo: string) => `/packages/publicity/objection/index?receipt=${encodeURIComponent(receiptNo)}`,
  knowledge: (tag?: string) => `/packages/knowledge/index${tag ? `?tag=${encodeURIComponent(tag)}` : ''}`,
  article: (id?: number) => (id ? `/packages/knowledge/article/index?id=${id}` : '/packages/knowledge/index'),
  base: (id?: number) => `/packages/visits/index${id ? `?id=${id}` : ''}`,
  students: () => '/packages/students/index',
  // Visits (packages/visits): booking form, my bookings, one booking, a group's name list, the door (扫码核验).
  book: (base: number, slot: number, date: string, waitlist = false) =>
    `/packages/visits/book/index?base=${base}&slot=${slot}&date=${date}${waitlist ? '&waitlist=1' : ''}`,
  // 我的预约; `waitlist`: opened on its 候补 tab (after joining a waitlist).
  myBookings: (show?: 'waitlist') => `/packages/visits/bookings/index${show ? `?show=${show}` : ''}`,
  booking: (id: number, fresh = false) => `/packages/visits/booking/index?id=${id}${fresh ? '&new=1' : ''}`,
  groupMembers: (bookingId: number) => `/packages/visits/members/index?id=${bookingId}`,
  door: () => '/packages/visits/door/index',
  studentCampaign: (id: number) => `/packages/students/campaign/index?id=${id}`,
  studentBoard: (id: number) => `/packages/students/board/index?id=${id}`,
  studentPosts: (id: number) => `/packages/students/posts/index?id=${id}`,
  // 我的 (packages/me): follows, feed, privacy policy, data copy, account deletion, guardian consent.
  myFollows: () => '/packages/me/follows/index',
  myFeed: () => '/packages/me/feed/index',
  privacy: () => '/packages/me/privacy/index',
  myExport: () => '/packages/me/export/index',
  deleteAccount: () => '/packages/me/delete/index',
  guardian: (code?: string) => `/packages/me/guardian/index${code ? `?code=${encodeURIComponent(code)}` : ''}`,
}

/**
 * A way out of a page that cannot show what its link named (a 404, a link missing its date, …): on h5
 * a deep-linked page has no back button, so it offers the list it belongs to (a tab, or a page).
 */
export interface Way {
  label: string
  url: string
  /** A tab page: opened with switchTab (navigateTo cannot open a tab). */
  tab?: boolean
}

export const ways = {
  home: { label: '返回首页', url: tabs.home, tab: true },
  zones: { label: '查看全部示范区', url: tabs.zones, tab: true },
  bases: { label: '查看全部教育基地', url: tabs.visits, tab: true },
  base: (id: number): Way => ({ label: '返回基地页面', url: routes.base(id) }),
  notices: { label: '查看全部公示', url: routes.publicity() },
  articles: { label: '查看低碳知识', url: routes.knowledge() },
  myObjections: { label: '查看我的异议', url: routes.myObjections() },
  myBookings: { label: '查看我的预约', url: routes.myBookings() },
  students: { label: '返回校园低碳', url: routes.students() },
  campaign: (id: number): Way => ({ label: '返回活动页面', url: routes.studentCampaign(id) }),
} satisfies Record<string, Way | ((id: number) => Way)>
