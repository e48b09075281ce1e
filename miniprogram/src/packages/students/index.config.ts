export default definePageConfig({ navigationBarTitleText: '学生活动' })
