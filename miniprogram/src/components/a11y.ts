/**
 * Accessibility attributes for Taro components. On h5 Taro's components are custom elements
 * (`taro-button-core`, `taro-input-core`) that carry no role of their own: each control gets its role
 * and name here; on weapp the same names go to WeChat's `aria-*` attributes (read by its screen reader).
 * Spread the result: `<Button {...pressable('搜索')}>`.
 */
const H5 = process.env.TARO_ENV === 'h5'

type Attrs = Record<string, string | number | boolean | undefined>

/**
 * A button or a tappable row: its role and its spoken name. `disabled` (pass it with the Button's own
 * `disabled`): said as unavailable — Taro's h5 button is a custom element, so without aria-disabled a
 * screen reader (and a browser test) takes a greyed button for one that works.
 */
export function pressable(label: string, extra: { pressed?: boolean; current?: boolean; disabled?: boolean } = {}): Attrs {
  const attrs: Attrs = H5 ? { role: 'button', tabIndex: 0, 'aria-label': label } : { 'aria-role': 'button', 'aria-label': label }
  if (extra.pressed !== undefined) attrs['aria-pressed'] = extra.pressed ? 'true' : 'false'
  if (extra.current) attrs['aria-current'] = 'true'
  if (extra.disabled) attrs['aria-disabled'] = 'true'
  return attrs
}

/**
 * Props for a phone number's Taro <Input>. h5: a native `type=tel` with `inputmode=tel` (the phone
 * keypad, which keeps "+" and spaces; Taro's `type='number'` would drop them) and `autocomplete=tel`.
 * weapp has no tel keyboard (its `number` has no "+"): a text field there, so +852… can be typed.
 */
export function phoneInput(label: string) {
  return H5
    ? { type: 'text' as const, nativeProps: { 'aria-label': label, type: 'tel', inputmode: 'tel', autocomplete: 'tel' } }
    : { type: 'text' as const, 'aria-label': label }
}

/** A link to another page (a card, a "more" line). */
export function linkTo(label: string): Attrs {
  return H5 ? { role: 'link', tabIndex: 0, 'aria-label': label } : { 'aria-role': 'link', 'aria-label': label }
}

/** Props for Taro's <Input>: on h5 the label goes on the native <input> inside (nativeProps). */
export function inputLabel(label: string) {
  return H5 ? { nativeProps: { 'aria-label': label } } : { 'aria-label': label }
}

/** A heading of the page or of a section. */
export function heading(level: 1 | 2 | 3): Attrs {
  return H5 ? { role: 'heading', 'aria-level': level } : { 'aria-role': 'heading' }
}

/** A live region: errors and notices read out when they appear. */
export function alertRole(): Attrs {
  return H5 ? { role: 'alert' } : { 'aria-role': 'alert' }
}

export function statusRole(): Attrs {
  return H5 ? { role: 'status' } : {}
}

/** A switch (the large-text toggle). */
export function switchRole(label: string, on: boolean): Attrs {
  return H5
    ? { role: 'switch', tabIndex: 0, 'aria-checked': on ? 'true' : 'false', 'aria-label': label }
    : { 'aria-role': 'switch', 'aria-label': label, 'aria-checked': on }
}

/** The page's main content (one per page). */
export function mainRole(): Attrs {
  return H5 ? { role: 'main' } : {}
}

/**
 * Alternative text for Taro's <Image>: on h5 it goes on the <img> inside (nativeProps), on weapp to
 * WeChat's aria-label. Spread it: `<Image src={…} {...imageAlt('证明图片 1')} />`.
 */
export function imageAlt(label: string) {
  return process.env.TARO_ENV === 'h5' ? { nativeProps: { alt: label } } : { 'aria-label': label }
}
