// Inputs added after the first release read an empty value as their default, so a runner (or
// a test) that passes only the older inputs still gets the documented behaviour.
import type { InputReader } from './reader.js'

export function optionalBoolean(reader: InputReader, name: string, fallback: boolean): boolean {
  return reader.text(name) === '' ? fallback : reader.boolean(name)
}
