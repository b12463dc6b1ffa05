// The text of the files an annotation points into, to find its line: each read once, when first
// asked, and the JSON template's as the inputs read it (not read again).
import { readFile } from 'node:fs/promises'
import type { JsonTemplateSource } from '../inputs/template.js'

/** The text of a file (absolute) by its path; undefined for one that cannot be read. */
export function fileTexts(jsonTemplate?: JsonTemplateSource): (path: string) => Promise<string | undefined> {
  const texts = new Map<string, Promise<string | undefined>>(jsonTemplate ? [[jsonTemplate.path, Promise.resolve(jsonTemplate.text)]] : [])
  return (path) => {
    if (!texts.has(path)) texts.set(path, readFile(path, 'utf8').catch(() => undefined))
    return texts.get(path) as Promise<string | undefined>
  }
}
