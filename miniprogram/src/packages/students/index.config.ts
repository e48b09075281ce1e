export default definePageConfig({ navigationBarTitleText: '校园低碳' })
