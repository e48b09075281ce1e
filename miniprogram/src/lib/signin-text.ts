/**
 * The sign-in prompt's words (pure, unit-tested): 「登录已失效」 only when a token really ran out; a
 * person who never signed in is asked to sign in, not told that something expired.
 */
export interface SignInWording {
  message: string
  /** The button's text and spoken name. */
  button: string
  /** The spoken name of the h5 development sign-in's name field. */
  nameLabel: string
}

export function signInWording(expired: boolean | undefined): SignInWording {
  return expired
    ? { message: '登录已失效，请重新登录后再提交，已填写的内容会保留。', button: '重新登录', nameLabel: '重新登录用户名' }
    : { message: '请先登录。登录后可继续刚才的操作，已填写的内容会保留。', button: '登录', nameLabel: '登录用户名' }
}
