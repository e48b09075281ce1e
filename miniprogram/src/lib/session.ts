/**
 * Who is signed in. The token itself is kept by the request module's storage (src/api/index.ts);
 * here: the profile, the sign-in (WeChat or, on h5 with the fake WeChat, a typed name) and sign-out.
 * A 401 anywhere asks for the sign-in: `signInRequested` turns true and the page shows <SignInPrompt>,
 * keeping what the person typed.
 */
import Taro from '@tarojs/taro'
import { api } from '@/api'
import type { Login, Meta, User } from '@/api/types'
import { deviceStorage } from './device-storage'
import { devCode } from './devlogin'
import { forgetAllDrafts } from './draft'
import { createStore, useStore } from './store'

export interface Session {
  user: User | null
  signInRequested: boolean
  /** The prompt was asked for by a token that stopped working (登录已失效), not by a first sign-in (请先登录). */
  signInExpired?: boolean
}

export const session = createStore<Session>({ user: null, signInRequested: false })
export const useSession = () => useStore(session)

api.onSignInRequired((_error, { expired }) => session.set({ user: null, signInRequested: true, signInExpired: expired }))

/** Ask for the sign-in in place (the prompt <Screen> shows above the page), so what is typed stays. */
export function requestSignIn(): void {
  session.set({ ...session.get(), signInRequested: true, signInExpired: false })
}

export const isSignedIn = () => Boolean(api.tokens.get())

async function finish(login: Login): Promise<User> {
  api.tokens.set(login.token)
  session.set({ user: login.user, signInRequested: false, signInExpired: false })
  return login.user
}

/** weapp: wx.login's one-time code → the service's code2session. */
export async function signInWithWeChat(): Promise<User> {
  const { code } = await Taro.login()
  return finish(await api.post<Login>('/auth/login', { code }, { anonymous: true }))
}

/** h5 development sign-in (src/lib/devlogin.ts), offered only when /meta says `dev_login`. */
export async function signInAsDeveloper(name: string): Promise<User> {
  return finish(await api.post<Login>('/auth/login', { code: devCode(name) }, { anonymous: true }))
}

export async function loadProfile(): Promise<User | null> {
  if (!isSignedIn()) return null
  const user = await api.get<User>('/me')
  session.set({ user, signInRequested: false })
  return user
}

export async function signOut(): Promise<void> {
  try {
    await api.post('/auth/logout')
  } finally {
    forgetSignedInUser()
  }
}

/** Signed out here (a sign-out, or the account deleted: its tokens are revoked already): the token,
 * the profile and what was being written on this device go. */
export function forgetSignedInUser(): void {
  api.tokens.set(null)
  session.set({ user: null, signInRequested: false })
  forgetAllDrafts(deviceStorage)
}

export function dismissSignIn(): void {
  if (session.get().signInRequested) session.set({ ...session.get(), signInRequested: false, signInExpired: false })
}

export const devLoginOffered = (meta: Meta | null) => process.env.TARO_ENV === 'h5' && Boolean(meta?.dev_login)
