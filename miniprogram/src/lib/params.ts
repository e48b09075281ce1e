/** A page's query parameters (useRouter().params), read before anything is asked of the service. */

/** `?id=12` → 12; anything else (`abc`, `0`, `1.5`, `-3`, missing) → null: no `/zones/NaN` request. */
export function idParam(raw: string | undefined | null): number | null {
  const text = (raw ?? '').trim()
  if (!/^\d{1,15}$/.test(text)) return null
  const id = Number(text)
  return id > 0 ? id : null
}
