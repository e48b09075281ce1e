/** Taro's storage on the device, as the plain modules take it (lib/draft.ts). */
import Taro from '@tarojs/taro'
import type { DraftStorage } from './draft'

export const deviceStorage: DraftStorage = {
  get: (key) => Taro.getStorageSync(key),
  set: (key, value) => Taro.setStorageSync(key, value),
  remove: (key) => Taro.removeStorageSync(key),
  keys: () => Taro.getStorageInfoSync().keys,
}
