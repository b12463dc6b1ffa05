// Packer's warnings about the template, and its errors when it failed, as
// annotations: each on the template's file and line where Packer says, or where what it names is
// (packer/template-errors.ts). Errors only when the run failed: a provisioner's stderr arrives as
// `ui,error` lines too, and a successful build must not end with a list of "errors".
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import { autoVarFiles, readByPacker, type JsonTemplateSource } from '../inputs/template.js'
import type { HclFileText } from '../inputs/template-files.js'
import type { PathValues } from '../inputs/hcl.js'
import {
  distinctHclDiagnostics,
  hclSubject,
  isHclBlockError,
  isHclComponentError,
  isUnknownAttribute,
  isUnreadableSource,
  isVariableDiagnostic,
  locateError,
  refusedFilter,
  refusedSetting,
  unknownSource
} from '../packer/machine-readable.js'
import type { PackerRun } from '../packer/run.js'
import type { JsonVariablesFile, TemplateError } from '../packer/template-errors.js'
import { annotateEach, type Annotation } from './annotation.js'

export interface AnnotationContext {
  /** Directory Packer runs in: HCL2 diagnostics name files relative to it. */
  workingDirectory: string
  /** The template, relative to workingDirectory: JSON parse errors point into it. */
  template: string
  /** Annotations name files relative to the workspace. */
  workspace: string
  /** A JSON template's errors are placed in it by what they name (template-errors.ts). */
  templateKind?: 'json' | 'hcl'
  /** A JSON template, as the inputs read it: what its errors are placed in. */
  jsonTemplate?: JsonTemplateSource
  /** An HCL2 template's files, as the inputs read them: what its errors are placed in, not read again. */
  hclFiles?: HclFileText[]
  /** A JSON template's builds as Packer names them, in its builders' order, when all are known. */
  buildNames?: string[]
  /** The variables files given to Packer, relative to workingDirectory. */
  varFiles?: string[]
  /** The input `variables`, which Packer takes over the variables files' and the template's. */
  variables?: Array<{ name: string; value: string }>
  /** An HCL2 template's input variables and locals whose value in this run is text or a list of it (HclTemplate.pathValues): what a path Packer quotes may be built from. */
  hclPathValues?: PathValues
}

/**
 * Annotates what a Packer run has to say: its warnings about the template (with `warnings`:
 * validate's, which the build says again), and its errors if it failed. Gives back the warnings
 * and errors, for the summary. Packer's notice that it is cancelling "after receiving terminated"
 * is left to the log (RunRecord): that is the action's SIGTERM, which the step's own warning (that it
 * stops Packer) and error (that the run was cancelled) already say in the user's words.
 */
export async function reportPackerRun(run: PackerRun, context: AnnotationContext, { warnings = false } = {}): Promise<Annotation[]> {
  const warned = warnings && run.record.warnings.length > 0 ? await placeTemplateErrors(run.record.warnings, context) : []
  if (run.exitCode === 0 || run.cancelled) return annotateEach(inFileOrder(warned), afterPacker)
  // Packer writes all of an HCL2 template's problems as one error: each is annotated on its own, once.
  const errors = context.templateKind === 'hcl' ? distinctHclDiagnostics(run.record.errors) : run.record.errors
  const failedBuild = (error: string): string | undefined => run.record.failedBuildOf(error)
  const placeable = (error: string): boolean =>
    isHclBlockError(error) || isHclComponentError(error) || isVariableDiagnostic(error) || unknownSource(error) !== undefined || isUnknownAttribute(error) || isUnreadableSource(error) || refusedFilter(error) !== undefined || refusedSetting(error) !== undefined || failedBuild(error) !== undefined
  const scripts = await placeFailedScripts(errors, run, context)
  const others = errors.filter((error) => !scripts.has(error))
  const failed =
    context.templateKind === 'json' || (context.templateKind === 'hcl' && others.some(placeable))
      ? await placeTemplateErrors(others, context, failedBuild)
      : context.templateKind === 'hcl'
        ? await placeUnclosed(others, context)
        : others.map((error) => annotationFor(error, context))
  return annotateEach([...inFileOrder(warned), ...inFileOrder([...scripts.values(), ...failed])], afterPacker)
}

/**
 * A build's failure because a shell or shell-local provisioner's script failed, on the
 * provisioner whose script it was, where the template tells it (script-failures.ts).
 */
async function placeFailedScripts(errors: string[], run: PackerRun, context: AnnotationContext): Promise<Map<string, Annotation>> {
  const placed = new Map<string, Annotation>()
  const { templateKind, jsonTemplate } = context
  const template =
    templateKind === 'hcl'
      ? { kind: templateKind, template: resolve(context.workingDirectory, context.template) }
      : templateKind === 'json' && jsonTemplate
        ? { kind: templateKind, json: jsonTemplate }
        : undefined
  if (template === undefined) return placed
  for (const error of errors) {
    const [, build, why] = /^(.+?): (Script exited with non-zero exit status: [^]*)$/.exec(error) ?? []
    const begun = build === undefined ? 0 : run.record.scriptsBegun(build)
    if (begun === 0) continue
    const { locateFailedScript } = await import('../packer/script-failures.js')
    const place = await locateFailedScript(build, begun, template, context.workingDirectory).catch(() => undefined)
    if (place?.line === undefined) continue
    const file = workspaceRelative(resolve(context.workingDirectory, place.file ?? context.template), context.workspace)
    placed.set(error, { level: 'error', message: `${build}: ${why}`, title: 'Packer', file, line: place.line, column: place.column })
  }
  return placed
}

/**
 * What the step may still annotate after a Packer run's problems, besides the error that fails
 * the step (always held back): a few of the job's own warnings (tagging, retention, the summary).
 */
const afterPacker = { warning: 3 }

/**
 * Those Packer does not place first (they are about the run, not a line), then the rest by file
 * and line: Packer lists an HCL2 body's problems in no fixed order, and when the runner cannot
 * show them all, the first lines of a file are the ones to fix first.
 */
function inFileOrder(annotations: Annotation[]): Annotation[] {
  const key = ({ file, line }: Annotation): [string, number] => [file ?? '', line ?? 0]
  return [...annotations].sort((a, b) => {
    const [fileA, lineA] = key(a)
    const [fileB, lineB] = key(b)
    return fileA === fileB ? lineA - lineB : fileA < fileB ? -1 : 1
  })
}

/** A warning stays a warning, even one that came with the errors. */
function levelOf(message: string, warning = false): Annotation['level'] {
  return warning || message.startsWith('Warning: ') ? 'warning' : 'error'
}

/** The annotation of one of Packer's messages, where Packer says it is. */
function annotationFor(message: string, context: AnnotationContext): Annotation {
  const location = locateError(message, readByPacker(context.workingDirectory, context.template, context.varFiles))
  const annotation: Annotation = { level: levelOf(message), message: withoutMissingSource(message, location), title: 'Packer' }
  if (!location) return annotation
  const file = resolve(context.workingDirectory, location.file ?? context.template)
  return { ...annotation, file: workspaceRelative(file, context.workspace), line: location.line, column: location.column }
}

/**
 * An HCL2 diagnostic without the `(source code not available)` Packer writes where it shows no
 * line of the file (which reads as if the file were missing), nor the place above it that says
 * only what the annotation already points at (`on ami.pkr.hcl line 12:`).
 */
function withoutMissingSource(message: string, location: ReturnType<typeof locateError>): string {
  return message.replace(
    /\n\n( {2}on (.+) line (\d+)(, in [^\n]*)?:)\n {2}\(source code not available\)\n/,
    (_, subject: string, file: string, line: string, within?: string) =>
      within === undefined && location?.file === file && location.line === Number(line) ? '\n' : `\n\n${subject}\n`
  )
}

/**
 * An HCL2 template's errors that no other place is known for: one about a file that leaves a
 * block, `{`, `[`, `(` or heredoc open, on where it opens (locateUnclosed); the others where
 * Packer says. The placing is loaded only for errors that name a line of a file.
 */
async function placeUnclosed(errors: string[], context: AnnotationContext): Promise<Annotation[]> {
  const isKnown = readByPacker(context.workingDirectory, context.template, context.varFiles)
  const named = errors.some((error) => hclSubject(error, isKnown) !== undefined)
  const located = named ? await import('../packer/template-errors.js').catch(() => undefined) : undefined
  if (!located) return errors.map((error) => annotationFor(error, context))
  const reads = located.templateReads(context.hclFiles)
  const template = resolve(context.workingDirectory, context.template)
  const made: Annotation[] = []
  for (const error of errors) {
    const unclosed = await located
      .withTemplateReads(reads, () => located.locateUnclosed(error, context.workingDirectory, template, context.varFiles))
      .catch(() => undefined)
    made.push(unclosed ? await placedAnnotation(unclosed[0], context, async () => ({})) : annotationFor(error, context))
  }
  return made
}

/** A place in the template (`file` relative to the directory Packer runs in; when not given, the template). */
type TemplatePlace = { file?: string; line?: number; column?: number }

/**
 * A JSON template's variables files, read: as the input checks read them, else from disk (those
 * that cannot be read are left out).
 */
async function readVarFiles(context: AnnotationContext): Promise<JsonVariablesFile[]> {
  const readByInputs = new Map((context.jsonTemplate?.varFiles ?? []).map(({ path, text }) => [path, text]))
  const read = (context.varFiles ?? []).map((file) => {
    const path = resolve(context.workingDirectory, file)
    const text = readByInputs.get(path)
    return text === undefined ? readFile(path, 'utf8').then((fromDisk) => [{ file, text: fromDisk }], () => []) : [{ file, text }]
  })
  return (await Promise.all(read)).flat()
}

/**
 * Packer names no line in a JSON template, and only a refused or warned-of HCL2 block's first
 * line: each problem it lists is placed at what it names in the template (the builder, the
 * key, the attribute, …), read with a parser only now that Packer failed or warned. A build's
 * failure that nothing places so (`failedBuild` names the build, as Packer's summary does) is on
 * the block of that build: a JSON template's builder, an HCL2 template's source block.
 */
async function placeTemplateErrors(errors: string[], context: AnnotationContext, failedBuild: (error: string) => string | undefined = () => undefined): Promise<Annotation[]> {
  const template = resolve(context.workingDirectory, context.template)
  let place: (error: string) => Promise<TemplateError[] | undefined> = async () => undefined
  let onBuild: (build: string) => Promise<TemplatePlace> = async () => ({})
  try {
    const located = await import('../packer/template-errors.js')
    if (context.templateKind === 'json') {
      // Read by the inputs, which refuse a JSON template they cannot read.
      const text = context.jsonTemplate?.text ?? ''
      const given = context.variables ?? []
      const varFiles = await readVarFiles(context)
      // The values the inputs read, as Packer will have them: the same that checked the template.
      const filling = { templateDir: dirname(template), pwd: context.workingDirectory, variables: context.jsonTemplate?.variables }
      place = async (error) =>
        located.locateVariableError(error, text, varFiles, given) ??
        located.locateRefusedFilter(error, text, context.buildNames) ??
        located.locateRefusedSetting(error, text, context.buildNames, { template: context.template, varFiles, given }) ??
        located.locateTemplateErrors(error, text, context.buildNames, filling)
      onBuild = async (build) => located.locateFailedBuild(build, text, context.buildNames, filling)
    } else {
      const directory = context.workingDirectory
      // The variables files in the order Packer reads them, its own then those it is given:
      // listed once, when a problem first needs them.
      let listed: string[] | undefined
      const varFiles = (): string[] =>
        (listed ??= [...autoVarFiles(template), ...(context.varFiles ?? []).map((file) => resolve(directory, file))])
      const placed = async (error: string): Promise<TemplateError[] | undefined> =>
        (await located.locateHclBlockErrors(error, directory, template)) ??
        (await located.locateHclComponentErrors(error, directory, template, context.hclPathValues)) ??
        (await located.locateHclWarning(error, directory, template)) ??
        (await located.locateUnsetVariable(error, directory, template)) ??
        (await located.locateDuplicateVariable(error, directory, template)) ??
        (await located.locateRefusedValue(error, directory, template)) ??
        (await located.locateFailedValidation(error, directory, template)) ??
        (await located.locateUnknownSource(error, directory, template)) ??
        (await located.locateHclRefusedFilter(error, directory, template)) ??
        (await located.locateHclRefusedSetting(error, directory, template, { varFiles: varFiles(), variables: context.variables ?? [], env: process.env })) ??
        (await located.locateUnknownReference(error, directory, template)) ??
        (await located.locateSourceReadings(error, directory, template)) ??
        (await located.locateUndeclaredVariable(error, directory, varFiles(), template)) ??
        (await located.locateUnclosed(error, directory, template, context.varFiles))
      // Each file read and parsed once for all the problems, those the inputs read not again.
      const reads = located.templateReads(context.hclFiles)
      place = (error) => located.withTemplateReads(reads, () => placed(error)).catch(() => undefined)
      const given = { varFiles: context.varFiles, variables: context.variables }
      onBuild = (build) => located.withTemplateReads(reads, () => located.locateHclFailedBuild(build, directory, template, given)).catch(() => ({}))
    }
  } catch {
    // Annotated as Packer said them, without a place of their own.
  }
  const made: Annotation[] = []
  for (const error of errors) {
    for (const { message: said, file, line, column, warning, inInputs } of (await place(error)) ?? [{ message: error }]) {
      const message = withRegionAdvice(context.templateKind === 'json' ? withRenamedFunction(said, context.template) : said)
      const annotation = await placedAnnotation({ message, file, line, column, warning, inInputs }, context, async () => {
        const build = failedBuild(error)
        return build === undefined ? {} : onBuild(build)
      })
      // Packer says the same of two block device mappings of one device, say, on the block's first
      // line: the second, on the same line, would tell nothing more.
      if (!made.some((one) => sameAnnotation(one, annotation))) made.push(annotation)
    }
  }
  return made
}

/**
 * The annotation of a problem of Packer's, placed in the template where it is (`file` relative to
 * the directory Packer runs in; when not given, the template); else where Packer says it is; else
 * on the block of the build whose failure it is (`onBuild`), where that is known.
 */
async function placedAnnotation(
  { message, warning, inInputs, ...place }: TemplateError,
  context: AnnotationContext,
  onBuild: () => Promise<TemplatePlace>
): Promise<Annotation> {
  const level = levelOf(message, warning)
  const inTemplate = ({ file, line, column }: TemplatePlace): Annotation => {
    const path = resolve(context.workingDirectory, file ?? context.template)
    return { level, message, title: 'Packer', file: workspaceRelative(path, context.workspace), line, column }
  }
  if (place.line !== undefined) return inTemplate(place)
  // A value of the input `variables`: the message names it, and no file holds it.
  if (inInputs) return { level, message, title: 'Packer' }
  const said = { ...annotationFor(message, context), level }
  const block = said.line === undefined ? await onBuild() : {}
  return block.line === undefined ? said : inTemplate(block)
}

/**
 * Packer's `MissingRegion` (a builder that names no region, in a step that has none: the action
 * gives Packer its home region as AWS_REGION), with where a region can be given.
 */
function withRegionAdvice(message: string): string {
  return /\bMissingRegion: could not find region configuration/.test(message)
    ? `${message}\nThe builder names no region, and the step has none to give it: set the builder's region, or the aws-region input ` +
        '(aws-actions/configure-aws-credentials sets AWS_REGION for the steps after it).'
    : message
}

/**
 * Packer's refusal of a template function it no longer has (`clean_ami_name`, `clean_image_name`)
 * with the name it has now, which its `packer fix` writes in a JSON template's builders.
 */
function withRenamedFunction(message: string, template: string): string {
  const renamed = /function "(clean_(?:ami|image)_name)" not defined/.exec(message)
  return renamed ? `${message}\nPacker names it clean_resource_name now: \`packer fix ${template}\` rewrites the template so.` : message
}

function sameAnnotation(one: Annotation, other: Annotation): boolean {
  return (
    one.level === other.level && one.message === other.message && one.file === other.file && one.line === other.line && one.column === other.column
  )
}
