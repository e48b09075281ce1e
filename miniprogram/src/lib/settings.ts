/** The reader's own settings, kept on the device: large text (适老化) for now. */
import Taro from '@tarojs/taro'
import { createStore, useStore } from './store'

const KEY = 'lowcarbon.settings'

export interface Settings {
  largeText: boolean
}

function load(): Settings {
  try {
    const saved = Taro.getStorageSync(KEY) as Partial<Settings> | ''
    return { largeText: Boolean(saved && saved.largeText) }
  } catch {
    return { largeText: false }
  }
}

export const settings = createStore<Settings>(load())

export function setLargeText(on: boolean): void {
  const next = { ...settings.get(), largeText: on }
  settings.set(next)
  Taro.setStorageSync(KEY, next)
}

export const useSettings = () => useStore(settings)
