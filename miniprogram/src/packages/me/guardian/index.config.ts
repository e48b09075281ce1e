export default definePageConfig({ navigationBarTitleText: '监护人授权' })
