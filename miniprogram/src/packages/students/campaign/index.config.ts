export default definePageConfig({ navigationBarTitleText: '低碳活动' })
