export default definePageConfig({ navigationBarTitleText: '团体名单' })
