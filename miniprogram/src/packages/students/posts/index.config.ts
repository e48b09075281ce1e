export default definePageConfig({ navigationBarTitleText: '同学分享' })
