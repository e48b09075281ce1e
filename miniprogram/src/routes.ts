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
  myBookings: () => '/packages/visits/bookings/index',
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
