// Pages of the main package: the four tabs and what they open at once. Every other page group lives
// in a subpackage under src/packages/<group>/ (loaded on first use), so the main package stays far
// below WeChat's 2 MB limit. How to add a page: miniprogram/README.md.
export default defineAppConfig({
  pages: ['pages/home/index', 'pages/zones/index', 'pages/zone/index', 'pages/visits/index', 'pages/me/index'],
  subPackages: [
    { root: 'packages/visits', pages: ['index', 'book/index', 'bookings/index', 'booking/index', 'members/index', 'door/index'] },
    { root: 'packages/publicity', pages: ['index', 'notice/index', 'object/index', 'mine/index', 'objection/index'] },
    { root: 'packages/knowledge', pages: ['index', 'article/index'] },
    { root: 'packages/students', pages: ['index', 'campaign/index', 'board/index', 'posts/index'] },
    { root: 'packages/me', pages: ['follows/index', 'feed/index', 'privacy/index', 'export/index', 'delete/index', 'guardian/index'] },
  ],
  window: {
    backgroundTextStyle: 'light',
    navigationBarBackgroundColor: '#0b6e4f',
    navigationBarTitleText: '长春低碳示范区',
    navigationBarTextStyle: 'white',
  },
  tabBar: {
    color: '#4a4a4a',
    selectedColor: '#0b6e4f',
    backgroundColor: '#ffffff',
    borderStyle: 'black',
    list: [
      { pagePath: 'pages/home/index', text: '首页' },
      { pagePath: 'pages/zones/index', text: '示范区' },
      { pagePath: 'pages/visits/index', text: '参观' },
      { pagePath: 'pages/me/index', text: '我的' },
    ],
  },
  // h5 only: no slide between pages, so a page is in place as soon as it is shown (stable browser tests).
  animation: false,
})
