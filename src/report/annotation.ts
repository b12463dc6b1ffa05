// An annotation the job makes about the template or its variables, kept for the job summary.
// GitHub's runner keeps a step's first ten annotations of each kind (error, warning, notice) and
// only logs the rest (actions/runner, src/Runner.Worker/ExecutionContext.cs: AddIssue,
// _maxCountPerIssueType); the post step is a step of its own, with ten of its own. So a list that
// would not fit is cut here, where the job can say so: its first ones as annotations, then one
// that names each of the rest by file and line, which the log then holds in full.
import * as core from '@actions/core'

export interface Annotation {
  level: 'error' | 'warning'
  message: string
  title?: string
  /** Relative to the workspace, as the runner takes it. */
  file?: string
  line?: number
  column?: number
}

/** How many annotations of each kind the runner keeps for a step. */
export const ANNOTATIONS_PER_STEP = 10

/** The runner cuts a longer message, in the annotation and in the log (ExecutionContext.cs, _maxIssueMessageLength). */
const MESSAGE_LENGTH = 4096

/** The annotations of each kind this step has made here. */
const made: Record<Annotation['level'], number> = { error: 0, warning: 0 }

/** Starts the count afresh: for tests that play many steps in one process. */
export function forgetAnnotationsMade(): void {
  made.error = 0
  made.warning = 0
}

/** Makes the annotation, and gives it back to be listed in the summary. */
export function annotate(annotation: Annotation): Annotation {
  const { level, message, title, file, line, column } = annotation
  const properties = { title, file, startLine: line, startColumn: column }
  made[level]++
  if (level === 'warning') core.warning(message, properties)
  else core.error(message, properties)
  return annotation
}

/**
 * Makes annotations of a list, in its order, leaving `keep` of each kind for what the step says
 * after it (the step's failure message): when more than that would be dropped, the last one
 * shown names the rest by file and line, and the log has each of them in full. Gives back the
 * whole list, for the summary.
 */
export function annotateEach(annotations: Annotation[], keep: Partial<Record<Annotation['level'], number>> = {}): Annotation[] {
  const rest: Record<Annotation['level'], Annotation[]> = { error: [], warning: [] }
  const room = (level: Annotation['level']): number => ANNOTATIONS_PER_STEP - made[level] - (keep[level] ?? 0)
  const count = (level: Annotation['level']): number => annotations.filter((annotation) => annotation.level === level).length
  const fits = { error: count('error') <= room('error'), warning: count('warning') <= room('warning') }
  for (const annotation of annotations) {
    const { level } = annotation
    if (fits[level] || room(level) > 1) annotate(annotation)
    else rest[level].push(annotation)
  }
  for (const level of ['error', 'warning'] as const) {
    if (rest[level].length === 0) continue
    annotate(moreInTheLog(level, rest[level]))
    for (const annotation of rest[level]) core.info(`${placeOf(annotation)}${annotation.message}`)
  }
  return annotations
}

/** The annotation that stands for those the runner would drop: on the first of them, naming each. */
function moreInTheLog(level: Annotation['level'], rest: Annotation[]): Annotation {
  const kind = level === 'error' ? 'errors' : 'warnings'
  const head =
    `${rest.length} more ${kind}, not shown as annotations (GitHub shows ${ANNOTATIONS_PER_STEP} of each kind per step); ` +
    `the log has each one in full, after this one:`
  let message = head
  for (const [index, annotation] of rest.entries()) {
    const item = `\n- ${placeOf(annotation)}${gist(annotation.message)}`
    const unlisted = `\n- and ${rest.length - index} more`
    if (message.length + item.length + unlisted.length > MESSAGE_LENGTH && index < rest.length - 1) {
      message += unlisted
      break
    }
    message += item
  }
  const [first] = rest
  return { level, message, title: `${rest.length} more ${kind}`, file: first.file, line: first.line, column: first.column }
}

/** `file:line: `, or nothing for an annotation that names no file. */
function placeOf({ file, line }: Annotation): string {
  if (file === undefined) return ''
  return line === undefined ? `${file}: ` : `${file}:${line}: `
}

/**
 * A message in one line: its first line, and the first sentence of its last paragraph when it
 * has more (Packer's HCL2 diagnostics are a heading, the place, then what is wrong).
 */
function gist(message: string): string {
  const paragraphs = message.split(/\n\s*\n/).map((paragraph) => paragraph.replace(/\s+/g, ' ').trim()).filter(Boolean)
  const first = message.split('\n')[0].trim()
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : ''
  const sentence = /^.*?[.:](?= |$)/.exec(last)?.[0] ?? last
  const text = sentence && sentence !== first ? `${first}: ${sentence}` : first
  return text.length > 200 ? `${text.slice(0, 199)}…` : text
}
