export default definePageConfig({ navigationBarTitleText: '我的动态' })
