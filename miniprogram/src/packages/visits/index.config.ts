export default definePageConfig({ navigationBarTitleText: '参观预约' })
