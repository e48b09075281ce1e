export default definePageConfig({ navigationBarTitleText: '参观' })
