export default definePageConfig({ navigationBarTitleText: '低碳知识' })
