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

/**
 * h5: large text on the document too, for what lies outside every page's <Screen> — Taro's tab bar
 * (app.scss, `html.app-large-text .weui-tabbar__label`). weapp's tab bar is WeChat's own.
 */
function applyLargeTextToDocument(on: boolean): void {
  if (typeof document !== 'undefined') document.documentElement.classList.toggle('app-large-text', on)
}

if (process.env.TARO_ENV === 'h5') {
  applyLargeTextToDocument(settings.get().largeText)
  settings.subscribe(() => applyLargeTextToDocument(settings.get().largeText))
}

export function setLargeText(on: boolean): void {
  const next = { ...settings.get(), largeText: on }
  settings.set(next)
  Taro.setStorageSync(KEY, next)
}

export const useSettings = () => useStore(settings)
