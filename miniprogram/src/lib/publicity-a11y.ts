/**
 * Alternative text for Taro's <Image>: on h5 it goes on the <img> inside (nativeProps), on weapp to
 * WeChat's aria-label. Spread it: `<Image src={…} {...imageAlt('证明图片 1')} />`.
 */
export function imageAlt(label: string) {
  return process.env.TARO_ENV === 'h5' ? { nativeProps: { alt: label } } : { 'aria-label': label }
}
