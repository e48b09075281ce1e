export default definePageConfig({ navigationBarTitleText: '长春低碳示范区' })
