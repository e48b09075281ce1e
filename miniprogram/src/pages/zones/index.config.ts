export default definePageConfig({ navigationBarTitleText: '示范区', onReachBottomDistance: 200 })
