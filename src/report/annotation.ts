// Every annotation a step makes, counted: the job's problems with the template and its
// variables (kept for the job summary), its warnings, notices and the error that fails it.
// GitHub's runner keeps a step's first ten annotations of each kind (error, warning, notice) and
// only logs the rest (actions/runner, src/Runner.Worker/ExecutionContext.cs: AddIssue,
// _maxCountPerIssueType); the post step is a step of its own, with ten of its own. So the step
// annotates only here, where it can say so: a list that would not fit shows its first ones, then
// one that names each of the rest by file and line, which the log then holds in full; one slot
// is always held back for the step's failure. The last slot of a kind says that any more are in
// the log only once one more comes: until then, or until the step ends, its annotation waits.
import * as core from '@actions/core'
import { cutSafely, firstOutsideSecrets, safeLength, squeezeWhiteSpace } from '../common/cut.js'

export interface Annotation {
  level: Level
  message: string
  /**
   * The action's own words, never a value of the run (a region, a name): the runner masks the
   * secrets it knows in an annotation's message, but shows its title as given (actions/runner,
   * ActionCommandManager.cs: IssueCommandExtension keeps the command's properties as they are),
   * and a region may be a secret, or a sensitive variable's value. The message names the rest.
   */
  title?: string
  /** Relative to the workspace, as the runner takes it. */
  file?: string
  line?: number
  column?: number
}

type Level = 'error' | 'warning' | 'notice'

const levels = ['error', 'warning', 'notice'] as const

/** How many annotations of each kind the runner keeps for a step. */
export const ANNOTATIONS_PER_STEP = 10

/** The runner cuts a longer message, in the annotation and in the log (ExecutionContext.cs, _maxIssueMessageLength). */
const MESSAGE_LENGTH = 4096

/**
 * Held back from every other error for the one that fails the step (failStep): it says why the
 * step failed, and must be among the errors the runner keeps, however many came before it.
 */
const FAILURE_SLOTS = 1

/**
 * The step's slots. On the global object, not in module variables: dist/index.js, dist/post.js
 * and the chunks of the job and its stages are bundled apart, and each holds a copy of this
 * module (as common/waiting.ts), while the runner counts the step's annotations as one.
 */
interface Slots {
  /**
   * The annotations of each kind this step has made. Every annotation of the step is made here
   * (annotate, annotateEach, failStep), so the count is the runner's: one made elsewhere would
   * take a slot this module believes free.
   */
  made: Record<Level, number>
  /**
   * The annotation of each kind in the last slot, counted in `made` but not yet made: whether it
   * must say that any more are in the log is known only when the next of its kind comes (it then
   * does) or the step ends (makeHeldAnnotations: it does not).
   */
  held: Partial<Record<Level, Annotation>>
  /** Whether an exit of the process makes what is still held (holdForLastSlot). */
  madeAtExit: boolean
}

const slotsKey = Symbol.for('packer-ami-action.annotation-slots')
const slots = ((globalThis as { [slotsKey]?: Slots })[slotsKey] ??= {
  made: { error: 0, warning: 0, notice: 0 },
  held: {},
  madeAtExit: false
})
const { made, held } = slots

/** Starts the count afresh: for tests that play many steps in one process. */
export function forgetAnnotationsMade(): void {
  made.error = 0
  made.warning = 0
  made.notice = 0
  for (const level of levels) delete held[level]
}

/** The slots of a kind still free for annotations other than the step's failure. */
function free(level: Level): number {
  return ANNOTATIONS_PER_STEP - made[level] - (level === 'error' ? FAILURE_SLOTS : 0)
}

/**
 * Makes the annotation while the runner would keep it, and gives it back to be listed in the
 * summary. The last free slot of its kind says that any more are in the log, once one more
 * comes; past it, the annotation is logged as text, as the runner would only log it.
 */
export function annotate(annotation: Annotation): Annotation {
  const room = free(annotation.level)
  if (room <= 0) logOnly(annotation)
  else if (room === 1) holdForLastSlot(annotation)
  else make(annotation)
  return annotation
}

/**
 * Makes the annotations held for the last slots as they are: none came after them. Where the
 * step ends (main.ts, post.ts), and where it may be killed before it does (a cancel); an exit of
 * the process that comes first makes them too, if its last writes get through.
 */
export function makeHeldAnnotations(): void {
  for (const level of levels) {
    const last = held[level]
    if (last === undefined) continue
    delete held[level]
    write(last)
  }
}

function holdForLastSlot(annotation: Annotation): void {
  made[annotation.level]++
  held[annotation.level] = annotation
  if (slots.madeAtExit) return
  slots.madeAtExit = true
  process.once('exit', makeHeldAnnotations)
}

/**
 * Fails the step with `message`, in the slot held back for it: it is always among the errors
 * the runner keeps (as core.setFailed, which this replaces for the step's own failure).
 */
export function failStep(message: string): void {
  // Before the failure, in the order they came: what follows it is not more of their kind.
  makeHeldAnnotations()
  if (made.error >= ANNOTATIONS_PER_STEP) {
    process.exitCode = 1
    logOnly({ level: 'error', message })
    return
  }
  made.error++
  core.setFailed(message)
}

function make(annotation: Annotation): void {
  // The one held for the last slot is not the last of its kind.
  const last = held[annotation.level]
  delete held[annotation.level]
  if (last) write(last)
  made[annotation.level]++
  write(annotation)
}

function write({ level, message, title, file, line, column }: Annotation): void {
  const properties = { title, file, startLine: line, startColumn: column }
  const placed = Object.values(properties).some((value) => value !== undefined)
  const annotation = { error: core.error, warning: core.warning, notice: core.notice }[level]
  if (placed) annotation(message, properties)
  else annotation(message)
}

/** An annotation past the runner's limit, as a line of the log; the one held for the last slot says so. */
function logOnly(annotation: Annotation): void {
  const last = held[annotation.level]
  delete held[annotation.level]
  if (last) write(lastShown(last))
  const kind = `${annotation.level[0].toUpperCase()}${annotation.level.slice(1)}`
  const title = annotation.title ? ` (${annotation.title})` : ''
  logAsText([`${kind}${title}: ${placeOf(annotation)}${annotation.message}`])
}

/** The annotation in the last slot of its kind, saying where any after it are. */
function lastShown(annotation: Annotation): Annotation {
  const note =
    `\n\n(GitHub shows ${ANNOTATIONS_PER_STEP} ${kindOf(annotation.level)} per step: ` +
    `any more ${kindOf(annotation.level)} of this step are in the log only.)`
  // Cut as the runner would not: before a secret that the cut would split (common/cut.ts).
  const shown = annotation.message.slice(0, safeLength(annotation.message, MESSAGE_LENGTH - note.length))
  return { ...annotation, message: `${shown}${note}` }
}

function kindOf(level: Level): string {
  return { error: 'errors', warning: 'warnings', notice: 'notices' }[level]
}

/**
 * Makes annotations of a list, in its order, leaving `keep` of each kind for what the step says
 * after it (besides the step's failure, whose slot is always held back): when more than that
 * would be dropped, the last one shown names the rest by file and line, and the log has each of
 * them in full. `failureFollows: false`, for a list that is the step's last word, lets it take
 * the failure's slot. Gives back the whole list, for the summary.
 */
export function annotateEach(
  annotations: Annotation[],
  keep: Partial<Record<Level, number>> = {},
  { failureFollows = true } = {}
): Annotation[] {
  const lastWord = !failureFollows
  const rest: Record<Level, Annotation[]> = { error: [], warning: [], notice: [] }
  const unheld = (level: Level): number => (level === 'error' && lastWord ? FAILURE_SLOTS : 0)
  const room = (level: Level): number => free(level) + unheld(level) - (keep[level] ?? 0)
  const count = (level: Level): number => annotations.filter((annotation) => annotation.level === level).length
  const fits = Object.fromEntries(levels.map((level) => [level, count(level) <= room(level)])) as Record<Level, boolean>
  for (const annotation of annotations) {
    const { level } = annotation
    if (!fits[level] && room(level) <= 1) rest[level].push(annotation)
    else if (lastWord) make(annotation)
    else annotate(annotation)
  }
  for (const level of levels) {
    if (rest[level].length === 0) continue
    // It says itself that the log has the rest.
    const marker = moreInTheLog(level, rest[level])
    if (free(level) + unheld(level) > 0) make(marker)
    else logOnly(marker)
    logAsText(rest[level].map((annotation) => `${placeOf(annotation)}${annotation.message}`))
  }
  return annotations
}

/**
 * Logs messages as they are, never as workflow commands: they quote what Packer quoted (a key of
 * the template, a value, a failed packer inspect's errors), where a line may begin `::` or hold `##[`, which the runner reads as a
 * command. Its command processing is stopped, with a token nobody else knows, meanwhile.
 */
export function logAsText(messages: string[]): void {
  // The global Web Crypto, loaded only now: this module is loaded before the inputs are checked.
  const token = globalThis.crypto.randomUUID()
  core.info(`::stop-commands::${token}`)
  for (const message of messages) core.info(message)
  core.info(`::${token}::`)
}

/** The annotation that stands for those the runner would drop: on the first of them, naming each. */
function moreInTheLog(level: Level, rest: Annotation[]): Annotation {
  const kind = kindOf(level)
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
 * has more (Packer's HCL2 diagnostics are a heading, the place, then what is wrong). The white
 * space of a secret in it stays as it is, for the runner to mask (squeezeWhiteSpace).
 */
function gist(message: string): string {
  const paragraphs = message.split(/\n\s*\n/).map((paragraph) => squeezeWhiteSpace(paragraph).trim()).filter(Boolean)
  const first = message.split('\n')[0].trim()
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : ''
  // To its first ". " or ": ", past any that a secret holds: the runner masks a secret whole only.
  const end = firstOutsideSecrets(last, /[.:](?= |$)/g)
  const sentence = end === undefined ? last : last.slice(0, end.index + 1)
  const text = sentence && sentence !== first ? `${first}: ${sentence}` : first
  return text.length > 200 ? cutSafely(text, 199, '…') : text
}
