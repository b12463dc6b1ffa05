// What a parsed value is, and the strings it holds, as a sensitive value's masks need them.

/** A JSON object (or an HCL body as parsed): not null, not a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

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

/**
 * A setting Packer reads as a bool, where it is written so: true or false, or "true" or "false"
 * (Packer converts a string); false when it is not set; undefined when only Packer knows it.
 */
export function literalBoolean(written: unknown): boolean | undefined {
  if (written === undefined || written === false || written === 'false') return false
  return written === true || written === 'true' ? true : undefined
}
