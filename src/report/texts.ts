// Words of the log and the summary: a count with its noun (and verb), and the text of the files
// an annotation points into, to find its line.
import { readFile } from 'node:fs/promises'
import type { JsonTemplateSource } from '../inputs/template.js'

/**
 * The text of a file (absolute) by its path, each read once, when first asked, and the JSON
 * template's as the inputs read it (not read again); undefined for one that cannot be read.
 */
export function fileTexts(jsonTemplate?: JsonTemplateSource): (path: string) => Promise<string | undefined> {
  const texts = new Map<string, Promise<string | undefined>>(jsonTemplate ? [[jsonTemplate.path, Promise.resolve(jsonTemplate.text)]] : [])
  return (path) => {
    if (!texts.has(path)) texts.set(path, readFile(path, 'utf8').catch(() => undefined))
    return texts.get(path) as Promise<string | undefined>
  }
}

/**
 * `count` and `noun`, made plural (with an s) unless the count is 1, and the `verb` given as
 * [singular, plural] that agrees with them: plural(1, 'AMI', ['is', 'are']) is "1 AMI is",
 * plural(3, 'AMI', ['is', 'are']) "3 AMIs are".
 */
export function plural(count: number, noun: string, verb?: readonly [one: string, many: string]): string {
  const counted = `${count} ${noun}${count === 1 ? '' : 's'}`
  return verb === undefined ? counted : `${counted} ${verb[count === 1 ? 0 : 1]}`
}
