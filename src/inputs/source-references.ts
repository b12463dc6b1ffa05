// How Packer reads a source a `build` block names (`sources = ["source.amazon-ebs.web"]`, or
// `source "amazon-ebs.web" { … }`), and what is wrong with one it reads otherwise than it is
// written. Every Packer from 1.6.6 to 1.16 reads it alike (hcl2template, sourceRefFromString):
// it splits it at each dot; two parts are TYPE.NAME; of three or more, it drops the first and
// takes the next two as TYPE and NAME, whatever follows; in a `sources` list it refuses a TYPE or
// NAME that is not an HCL name. Nothing tells of the parts it passed over, and it builds the
// source once for each entry that names it.
import { workspaceRelative } from '../common/paths.js'
import type { SourceUse } from './hcl-parser.js'
import type { InputProblem } from './reader.js'

/** A source as Packer reads a reference to it: its type and name, and what it passed over. */
export interface SourceReference {
  type: string
  name: string
  /** What Packer leaves out of the reference as written: a first part other than `source`, what follows NAME. */
  ignored: { before?: string; after?: string }
}

/**
 * The first words before TYPE.NAME that say what Packer does with them: `source`, and `sources`,
 * which many published templates write (`"sources.amazon-ebs.web"`) and which builds the same.
 */
const writtenAsMeant = new Set(['source', 'sources'])

/** An HCL name: a letter or underscore, then letters, digits, underscores and dashes (hclsyntax.ValidIdentifier). */
const hclName = /^[\p{L}_][\p{L}\p{N}_-]*$/u

/**
 * The source Packer builds for a reference as written: undefined where Packer refuses it in a
 * `sources` list (no dot, or a TYPE or NAME that is not an HCL name), or names no source by it
 * (`source.amazon-ebs`: a source of type "source").
 */
export function sourceReference(written: string): SourceReference | undefined {
  const parts = written.split('.')
  const [type, name] = sourceParts(written) ?? []
  if (type === undefined || name === undefined) return undefined
  if (!hclName.test(type) || !hclName.test(name) || (parts.length === 2 && type === 'source')) return undefined
  const before = parts.length > 2 && !writtenAsMeant.has(parts[0]) ? parts[0] : undefined
  const after = parts.length > 3 ? parts.slice(3).join('.') : undefined
  return { type, name, ignored: { ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) } }
}

/** The TYPE and NAME Packer takes from a reference, as they are, or undefined when it has no dot. */
export function sourceParts(written: string): [string, string] | undefined {
  const parts = written.split('.')
  if (parts.length < 2) return undefined
  return (parts.length > 2 ? parts.slice(1, 3) : parts) as [string, string]
}

/**
 * The source `written` builds, as `TYPE.NAME`; undefined where only Packer reads it, or it refuses
 * it. The parser gives a reference written bare (source.amazon-ebs.web) as `${…}`.
 */
export function sourceReferenceName(written: unknown): string | undefined {
  if (typeof written !== 'string') return undefined
  const bare = /^\$\{(source\.[^${}]*)\}$/.exec(written)?.[1]
  if (bare === undefined && written.includes('${')) return undefined
  const reference = sourceReference(bare ?? written)
  return reference && `${reference.type}.${reference.name}`
}

/**
 * The entries of the build blocks' `sources` lists, in the template's files as the job read them
 * (a `.pkr.json` file's as the JSON strings they are), that no Packer reads as they are written: an error on each that Packer refuses or that names no source,
 * saying what it expects; a warning on each it builds as another (`source.amazon-ebs.web.var.x`
 * builds source.amazon-ebs.web), saying which and what it passes over. Each on the entry's line.
 */
export function sourceReferenceProblems(files: Array<{ file: string; sourceUses: SourceUse[] }>): { errors: InputProblem[]; warnings: InputProblem[] } {
  const errors: InputProblem[] = []
  const warnings: InputProblem[] = []
  for (const { file, sourceUses } of files) {
    const shown = workspaceRelative(file, process.cwd())
    for (const { used, line, column, listed } of sourceUses) {
      // A value only Packer works out (from 1.7 on, variables and locals; in HCL's JSON syntax, a
      // template's directives too) is Packer's to read.
      if (!listed || used.includes('${') || (file.endsWith('.pkr.json') && used.includes('%{'))) continue
      const location = { file: shown, line, column }
      const reference = sourceReference(used)
      if (reference === undefined) {
        errors.push({
          message:
            `template: ${shown}: "${used}" in the build block's sources names no source Packer can build: Packer expects ` +
            'source.TYPE.NAME, TYPE and NAME those of a source "TYPE" "NAME" block, each made of letters, digits, underscores ' +
            'and dashes, starting with a letter (such as "source.amazon-ebs.web").',
          location
        })
        continue
      }
      const { type, name, ignored } = reference
      if (ignored.before === undefined && ignored.after === undefined) continue
      const passedOver = [ignored.before && `"${ignored.before}." before it`, ignored.after && `".${ignored.after}" after it`].filter(Boolean).join(' and ')
      warnings.push({
        message:
          `template: ${shown}: "${used}" in the build block's sources: Packer reads it as source.${type}.${name} and passes over ` +
          `${passedOver}, without a word, so it builds source.${type}.${name} (once more for each entry of the build block that ` +
          `names it). Packer expects source.TYPE.NAME there, and works nothing out of the rest: write "source.${type}.${name}", ` +
          'or name the source you mean.',
        location
      })
    }
  }
  return { errors, warnings }
}
