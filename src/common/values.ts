// What a parsed value is, and the strings it holds, as a sensitive value's masks need them.

/** A JSON object (or an HCL body as parsed): not null, not a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Text to match as it is written, in a regular expression. */
export function escapedForRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')
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

/**
 * A sensitive value of the template (a string of it: a list or map holds several), with the
 * variable or local that holds it: a warning can then name where a secret comes from, never
 * showing the secret itself.
 */
export interface SensitiveValue {
  value: string
  /**
   * A variable (`sensitive-variables` in JSON, `sensitive = true` in HCL2), an HCL2 `local`, or
   * a secret an HCL2 template reads (hclSecretReads): its name is then what reads it, as written.
   */
  of: 'variable' | 'local' | 'secret'
  name: string
}

/** Each string of `value` (stringsOf), as a sensitive value of the variable or local `name`. */
export function sensitiveStrings(value: unknown, of: SensitiveValue['of'], name: string): SensitiveValue[] {
  return stringsOf(value).map((string) => ({ value: string, of, name }))
}

/** The values, each pair once (a value held by two names is kept with each). */
export function distinctSensitive(values: SensitiveValue[]): SensitiveValue[] {
  const seen = new Set<string>()
  return values.filter(({ value, of, name }) => {
    const key = JSON.stringify([value, of, name])
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
