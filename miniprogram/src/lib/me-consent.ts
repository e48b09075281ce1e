/**
 * The privacy policy's consent (issue 23): asked for before anything that writes.
 * - after sign-in, when the service says `needs_consent` (a new account, or a new policy version);
 * - when a write answers 428 `consent_required` (the page keeps its form: accept, then tap again);
 * - on weapp, when WeChat's own privacy flow asks (`wx.onNeedPrivacyAuthorization`): the same
 *   prompt, whose 同意 button also agrees to WeChat's (open-type agreePrivacyAuthorization).
 * <ConsentPrompt> (src/components/MeConsentPrompt.tsx, inside <Screen>) shows it.
 */
import Taro from '@tarojs/taro'
import { api } from '@/api'
import { createStore, useStore } from './store'
import { session } from './session'

export interface Policy {
  version: string
  title: string
  body_html: string
  effective_on: string
}

export interface ConsentState {
  requested: boolean
  /** the 428 that asked (a form waits): the prompt says to tap its button again. */
  fromWrite: boolean
}

export const consent = createStore<ConsentState>({ requested: false, fromWrite: false })
export const useConsent = () => useStore(consent)

/** WeChat's pending privacy question, answered when the person agrees or declines. */
type WeChatResolve = (answer: { event: 'agree' | 'disagree'; buttonId?: string }) => void
let wechatResolve: WeChatResolve | null = null

export function requestConsent(fromWrite = false): void {
  consent.set({ requested: true, fromWrite })
}

export function dismissConsent(): void {
  if (wechatResolve) wechatResolve({ event: 'disagree' })
  wechatResolve = null
  consent.set({ requested: false, fromWrite: false })
}

/** The policy version accepted: the service records it, WeChat's question (if any) is answered. */
export async function acceptPolicy(version: string): Promise<void> {
  await api.post('/me/consents', { document: 'privacy', version })
  if (wechatResolve) wechatResolve({ event: 'agree', buttonId: 'consent-agree' })
  wechatResolve = null
  const user = session.get().user
  if (user) session.set({ ...session.get(), user: { ...user, needs_consent: false, privacy_version_accepted: version } })
  consent.set({ requested: false, fromWrite: false })
}

export const loadPolicy = () => api.get<Policy>('/policies/privacy')

api.onConsentRequired(() => requestConsent(true))

// A signed-in person who has not accepted the current version is asked at once (first sign-in).
let lastAsked: number | null = null
session.subscribe(() => {
  const user = session.get().user
  if (user?.needs_consent && lastAsked !== user.id) {
    lastAsked = user.id
    requestConsent(false)
  }
  if (!user) lastAsked = null
})

if (process.env.TARO_ENV === 'weapp') {
  const wx = Taro as unknown as { onNeedPrivacyAuthorization?: (handler: (resolve: WeChatResolve) => void) => void }
  if (typeof wx.onNeedPrivacyAuthorization === 'function') {
    wx.onNeedPrivacyAuthorization((resolve) => {
      wechatResolve = resolve
      requestConsent(false)
    })
  }
}
