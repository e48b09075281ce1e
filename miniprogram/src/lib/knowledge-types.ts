/** The knowledge answers' computed fields (marshmallow Function fields come out `unknown` in schema.d.ts). */
import type { Schemas } from '@/api/types'

export type Category = Schemas['CategoryOut'] & { id: number; code: string; name: string }
export type Article = Omit<Schemas['ArticleOut'], 'related' | 'zone'> & {
  id: number
  title: string
  body_html: string
  related: (Schemas['ArticleCardOut'] & { id: number; title: string })[]
  zone: { id: number; name: string } | null
}
