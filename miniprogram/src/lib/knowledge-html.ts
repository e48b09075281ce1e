/**
 * Article bodies. The service has already cut them down to what WeChat's rich-text renders
 * (app/knowledge/content.py: RICH_TEXT_TAGS / RICH_TEXT_ATTRIBUTES); on h5 the body becomes real DOM,
 * so it is cut down once more here to the same list (defence in depth: nothing runs, nothing loads
 * from elsewhere but images and links). Images are fitted to the screen on both.
 */
export const TAGS = new Set(
  (
    'a abbr b blockquote br code col colgroup dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i img ins li ol p pre q s ' +
    'section small span strong sub sup table tbody td tfoot th thead tr u ul'
  ).split(' '),
)
export const ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title'],
  img: ['src', 'alt', 'width', 'height'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan'],
  ol: ['start'],
  col: ['span', 'width'],
}
// Dropped with everything inside them (the rest of an unknown element keeps its text).
const DROP_WITH_CONTENT = new Set(['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg', 'math', 'form'])
const IMAGE_STYLE = 'max-width:100%;height:auto;display:block;margin:8px 0;'

/** Only http(s) links and images (relative ones too), never javascript:, data: or the like. */
export function safeUrl(url: string): boolean {
  const value = url.trim().toLowerCase()
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(value)
  return !scheme || scheme[1] === 'http' || scheme[1] === 'https'
}

/** weapp's rich-text: the service's HTML, images fitted (rich-text takes inline styles only). */
export function weappHtml(html: string): string {
  return html.replace(/<img\b/gi, `<img style="${IMAGE_STYLE}"`)
}

function clean(node: Node, doc: Document): Node[] {
  if (node.nodeType === 3) return [doc.createTextNode(node.textContent ?? '')]
  if (node.nodeType !== 1) return []
  const element = node as Element
  const tag = element.tagName.toLowerCase()
  if (DROP_WITH_CONTENT.has(tag)) return []
  const children = Array.from(element.childNodes).flatMap((child) => clean(child, doc))
  if (!TAGS.has(tag)) return children
  const out = doc.createElement(tag)
  for (const name of ATTRIBUTES[tag] ?? []) {
    const value = element.getAttribute(name)
    if (value === null) continue
    if ((name === 'href' || name === 'src') && !safeUrl(value)) continue
    out.setAttribute(name, value)
  }
  if (tag === 'img') {
    out.setAttribute('style', IMAGE_STYLE)
    if (!out.hasAttribute('alt')) out.setAttribute('alt', '')
  }
  if (tag === 'a') out.setAttribute('rel', 'noopener noreferrer')
  children.forEach((child) => out.appendChild(child))
  return [out]
}

/** h5: the body re-built from the allowed tags and attributes only (a parsed document, not a string replace). */
export function h5Html(html: string, parse: (html: string) => Document = (text) => new DOMParser().parseFromString(text, 'text/html')): string {
  const source = parse(`<!doctype html><body>${html}</body>`)
  const target = source.implementation.createHTMLDocument('')
  const holder = target.createElement('div')
  Array.from(source.body.childNodes)
    .flatMap((child) => clean(child, target))
    .forEach((child) => holder.appendChild(child))
  return holder.innerHTML
}
