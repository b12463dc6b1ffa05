// The strings a value holds, as a sensitive value's masks need them.

/**
 * Every string in a value (a list or map holds several), and numbers and bools as Packer
 * prints them; empty strings left out: there is nothing to mask.
 */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)]
  if (Array.isArray(value)) return value.flatMap(stringsOf)
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsOf)
  return []
}
