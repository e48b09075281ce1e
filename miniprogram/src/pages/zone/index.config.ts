export default definePageConfig({ navigationBarTitleText: '示范区详情' })
