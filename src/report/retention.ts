// What the retention stage leaves for people and later steps: the log, the deregistered output
// and the summary's section, with every AMI of each family and what happened to it.
import * as core from '@actions/core'
import type { RetainedImage, RetentionResult } from '../aws/retention.js'
import { annotate } from './annotation.js'
import { cutShortHeading, unanswered, type CutShort } from './cut-short.js'
import { cell, setOutputs, type SummaryModel } from './index.js'
import { plural } from './texts.js'

/** "snapshots deleted: a; left: b (in use by ami-…)": a snapshot another AMI uses stays. */
function snapshotFates(image: RetainedImage): string {
  const left = image.snapshotsLeft ?? []
  const deleted = image.snapshotIds.filter((id) => !left.some((one) => one.snapshotId === id))
  const fates = [`snapshots deleted: ${deleted.length > 0 ? deleted.join(', ') : 'none'}`]
  if (left.length > 0) fates.push(`left: ${left.map(({ snapshotId, usedBy }) => `${snapshotId} (in use by ${usedBy})`).join(', ')}`)
  return fates.join('; ')
}

/**
 * Why a protected AMI stays, and how to let a later run retire it: EC2 refuses DeregisterImage
 * until the protection is disabled (and, with a cooldown, for 24 hours after), so only its
 * owner can decide that it goes.
 */
function protectedFate(image: RetainedImage, region: string): string {
  const protection = image.protection ?? 'enabled'
  const kept = `kept: protected from deregistration (${protection})`
  if (protection.startsWith('disabled')) return `${kept}; EC2 refuses to deregister it until the cooldown ends, and a later run retires it then`
  const lift = `aws ec2 disable-image-deregistration-protection --region ${region} --image-id ${image.amiId}`
  const after = protection === 'enabled-with-cooldown' ? ', 24 hours after which a later run retires it' : ', and the next run retires it'
  return `${kept}; leave it, or lift the protection with ${lift}${after}`
}

/** `cut`: the run ended while the stage ran, and `image` is as far as its retirement came. */
function outcome(image: RetainedImage, region: string, cut?: CutShort): string {
  const snapshots = image.snapshotIds.length > 0 ? image.snapshotIds.join(', ') : 'none'
  if (cut !== undefined) {
    const fate = cutShortFate(image, snapshots, cut)
    if (fate !== undefined) return fate
  }
  switch (image.action) {
    case 'kept: in use':
      return `kept: in use by ${(image.usedBy ?? []).join(', ')}`
    case 'kept: protected':
      return protectedFate(image, region)
    case 'kept: made meanwhile':
      return 'kept: made while this run ran, by another run, which may be rolling it out'
    case 'deregistered':
      return image.error ? `deregistered; ${image.error}` : `deregistered; ${snapshotFates(image)}`
    case 'would deregister':
      return `would be deregistered, with snapshots ${snapshots}`
    case 'failed':
      return image.error ?? 'failed'
    default:
      return image.action
  }
}

/**
 * What became of an AMI whose retirement a cancel or a crash cut short; undefined for one it
 * did not touch. Snapshots of a deregistered AMI that are not deleted are named: no later run
 * finds them, once the AMI that used them is gone.
 */
function cutShortFate(image: RetainedImage, snapshots: string, cut: CutShort): string | undefined {
  if (image.underWay === 'ec2:DeregisterImage') {
    return unanswered(cut, `it may or may not be deregistered; its snapshots (${snapshots}) are not deleted`)
  }
  if (image.action === 'would deregister') return 'not deregistered: the run ended before its turn'
  if (image.action !== 'deregistered' || image.underWay === undefined) return undefined
  const deleted = image.snapshotsDeleted ?? []
  const left = image.snapshotIds.filter((id) => !deleted.includes(id) && !image.snapshotsLeft?.some((one) => one.snapshotId === id))
  return (
    `deregistered; snapshots deleted: ${deleted.length > 0 ? deleted.join(', ') : 'none'}; ` +
    `${unanswered(cut, `${left.join(', ')} may be left, and no later run finds them`)}`
  )
}

/**
 * Logs what became of each AMI of a family in a region, as soon as that is final (retainImages'
 * onResult): with 16 regions, the slowest can keep the stage waiting for minutes, and the log
 * shows meanwhile which are done.
 */
export function logRetention(result: RetentionResult): void {
  logResult(result)
}

/** `cut`: the run ended while the stage ran, and `result` is as far as it came. */
function logResult(result: RetentionResult, cut?: CutShort): void {
  if (result.error !== undefined) annotate({ level: 'error', message: result.error, title: 'Retention' })
  if (result.warning !== undefined) annotate({ level: 'warning', message: result.warning, title: 'Retention' })
  for (const image of result.images) {
    if (image.error === undefined) core.info(`${result.region}: ${image.amiId} (${result.family}, created ${image.created}): ${outcome(image, result.region, cut)}`)
    else annotate({ level: 'error', message: `${result.region}: ${image.error}`, title: 'Retention' })
  }
}

/** The failures of a family's result in a region, as logResult annotates them. */
function failuresOf(result: RetentionResult): string[] {
  const failures = result.error !== undefined ? [result.error] : []
  for (const image of result.images) if (image.error !== undefined) failures.push(`${result.region}: ${image.error}`)
  return failures
}

/**
 * Sets `deregistered` and adds the summary's section, in the order of `results`, and the failures
 * to its problems; returns the failures. Each AMI's fate is in the log already (logRetention).
 */
export function reportRetention(
  results: RetentionResult[],
  options: { keep: number; dryRun: boolean },
  summary: SummaryModel
): string[] {
  const failures = results.flatMap(failuresOf)
  const { counted, note } = counting(results, options)
  const rows = results.flatMap((result) => (counted ? countedRows(result) : resultRows(result)))
  summary.problems.push(...failures)
  setOutputs({ deregistered: JSON.stringify(deregisteredIn(results)) })
  addSection(rows, options, summary, undefined, [...protectedNote(results), ...note])
  return failures
}

/**
 * Past this many AMIs, the summary counts the plain ones (retired, or to be, with nothing left
 * behind) instead of giving each a row: a first keep-images on a fleet of 6 builds in 16
 * regions, 100 old AMIs each, made 9,600 rows, 1.6 MB, and GitHub drops a step summary over
 * 1 MiB whole ("upload aborted"), build tables and all.
 */
export const maxRetentionRows = 1000

/**
 * Whether the section of `results` counts its plain AMIs (past maxRetentionRows), and the note
 * that says so. `cut`: the stage was cut short, and the AMIs it had not reached are counted too.
 */
function counting(results: RetentionResult[], options: { dryRun: boolean }, cut?: CutShort): { counted: boolean; note: string[] } {
  const images = results.reduce((count, result) => count + result.images.length, 0)
  if (images <= maxRetentionRows) return { counted: false, note: [] }
  const those = options.dryRun
    ? 'that would be deregistered'
    : `deregistered with all their snapshots${cut === undefined ? '' : ', and those not reached before the run ended,'}`
  return {
    counted: true,
    note: [
      `${images} AMIs: those ${those} are counted by region and family, ` +
        "as a row for each would take the summary past the 1 MiB GitHub shows (it drops a bigger one whole). The log names each, and so does the output deregistered.",
      ''
    ]
  }
}

/**
 * The row an AMI shares with the others like it when they are counted: one whose row only says
 * it went (or would go, or was not reached) with its snapshots. Undefined for one that keeps a
 * row of its own. `cut`: the run ended while the stage ran, and `image` is as far as it came.
 */
function countedAs(image: RetainedImage, cut?: CutShort): string | undefined {
  if (image.error !== undefined || image.underWay !== undefined) return undefined
  if (image.action === 'deregistered') return (image.snapshotsLeft ?? []).length === 0 ? 'deregistered, with their snapshots' : undefined
  if (image.action !== 'would deregister') return undefined
  return cut === undefined ? 'would be deregistered, with their snapshots' : 'not deregistered: the run ended before their turn'
}

/** A family's rows in a region with its plain AMIs counted, in one row per outcome, after the others. */
function countedRows(result: RetentionResult, cut?: CutShort): RetentionRow[] {
  const rows = resultRows({ ...result, images: result.images.filter((image) => countedAs(image, cut) === undefined) }, cut)
  const outcomes = [...new Set(result.images.map((image) => countedAs(image, cut)))].filter((what) => what !== undefined)
  for (const what of outcomes) {
    const those = result.images.filter((image) => countedAs(image, cut) === what)
    const created = those.map((image) => image.created).sort()
    const range = created[0] === created.at(-1) ? created[0] : `${created[0]} to ${created.at(-1)}`
    rows.push({ region: result.region, family: result.family, cells: [plural(those.length, 'AMI'), range, what] })
  }
  return rows
}

/**
 * The same for a stage that a cancel or a crash cut short: each family in each region as far as
 * it came (`progress`, the latest the stage told of it), and those it had not yet sorted out,
 * where nothing was retired. Those `finished` are in the log already (logRetention); the others
 * are logged now. `deregistered` names the AMIs deregistered so far. Returns what was done, for
 * the failure's message.
 */
export function reportRetentionCutShort(
  planned: Array<{ region: string; family: string }>,
  progress: RetentionResult[],
  finished: RetentionResult[],
  options: { keep: number; dryRun: boolean },
  cut: CutShort,
  summary: SummaryModel
): string {
  const failures: string[] = []
  const notReached: string[] = []
  // Each family in each region as far as it came, as it is to be shown: a dry run changes
  // nothing, so what it told is all it would have.
  const reached = planned.map(({ region, family }) => {
    const of = (one: RetentionResult) => one.region === region && one.family === family
    const done = finished.find(of)
    if (done) return { region, family, result: done, done: true, asFar: undefined }
    const result = progress.find(of)
    return { region, family, result, done: false, asFar: result === undefined || options.dryRun ? undefined : cut }
  })
  const { counted, note } = counting(reached.flatMap(({ result }) => (result === undefined ? [] : [result])), options, cut)
  const rows = reached.flatMap(({ region, family, result, done, asFar }): RetentionRow[] => {
    if (result) {
      if (!done) logResult(result, asFar)
      failures.push(...failuresOf(result))
      return counted ? countedRows(result, asFar) : resultRows(result, asFar)
    }
    notReached.push(region)
    const state = unanswered(cut, 'its AMIs were not yet sorted out, and nothing was retired')
    core.info(`${region}: ${family}: ${state}.`)
    return [{ region, family, cells: ['—', '—', cell(state)] }]
  })
  summary.problems.push(...failures)
  const deregistered = deregisteredIn(progress)
  setOutputs({ deregistered: JSON.stringify(deregistered) })
  addSection(rows, options, summary, cut, [...protectedNote(progress), ...note])
  const underWay = (call: RetainedImage['underWay']): string[] =>
    progress.flatMap((result) => result.images.filter((image) => image.underWay === call).map((image) => `${image.amiId} (${result.region})`))
  const deregistering = underWay('ec2:DeregisterImage')
  const deleting = underWay('ec2:DeleteSnapshot')
  const said = [
    deregistered.length > 0 ? `deregistered ${deregistered.map(({ region, amiId }) => `${amiId} (${region})`).join(', ')}` : 'nothing deregistered',
    ...(deleting.length > 0 ? [`snapshots of ${deleting.join(', ')} may be left`] : []),
    ...(deregistering.length > 0 ? [`no answer yet for ${deregistering.join(', ')}`] : []),
    ...(notReached.length > 0 ? [`nothing retired in ${[...new Set(notReached)].join(', ')}`] : [])
  ]
  return said.join('; ')
}

/**
 * A row of the section's table: the region and family, and the AMI, Created and Outcome cells,
 * in Markdown. The family gets a column only when the rows' families differ (addSection).
 */
interface RetentionRow {
  region: string
  family: string
  cells: [ami: string, created: string, outcome: string]
}

/** A family's rows in a region: its whole failure or warning, if any, then each AMI's. */
function resultRows(result: RetentionResult, cut?: CutShort): RetentionRow[] {
  const { region, family } = result
  const rows: RetentionRow[] = []
  const whole = result.error ?? result.warning
  if (whole !== undefined) rows.push({ region, family, cells: ['—', '—', cell(whole)] })
  for (const image of result.images) {
    rows.push({ region, family, cells: [`\`${image.amiId}\``, image.created, cell(outcome(image, result.region, cut))] })
  }
  return rows
}

/**
 * The AMIs kept because they are protected from deregistration, counted apart from the others:
 * unlike an AMI in use, one stays until its owner lifts the protection, however many runs go by.
 */
function protectedNote(results: RetentionResult[]): string[] {
  const kept = results.flatMap((result) =>
    result.images.filter((image) => image.action === 'kept: protected').map((image) => `\`${image.amiId}\` (${result.region})`)
  )
  if (kept.length === 0) return []
  const [it, its] = kept.length === 1 ? ['it', 'its row says'] : ['them', 'their rows say']
  return [
    `Protected from deregistration, so kept: ${kept.join(', ')}. EC2 refuses to deregister ${it} while protected: ` +
      `leave ${it}, or lift the protection as ${its}, and a later run retires ${it}.`,
    ''
  ]
}

function deregisteredIn(results: RetentionResult[]): Array<{ region: string; amiId: string }> {
  return results.flatMap((result) =>
    result.images.filter((image) => image.action === 'deregistered').map((image) => ({ region: result.region, amiId: image.amiId }))
  )
}

/**
 * The section, its table's rows in order. A Family column only when the rows' families differ:
 * one family (the usual: the repository's, or image-family's) is named once, above the table.
 */
function addSection(rows: RetentionRow[], options: { keep: number; dryRun: boolean }, summary: SummaryModel, cut?: CutShort, note: string[] = []): void {
  // One family is named once, above the table: "each" would have the reader look for others.
  const families = new Set(rows.map(({ family }) => family)).size > 1 ? 'each image family' : 'the image family'
  const title = `### Retention: the newest ${options.keep === 1 ? 'AMI' : plural(options.keep, 'AMI')} of ${families} ${options.keep === 1 ? 'is' : 'are'} kept`
  summary.sections = [
    ...(summary.sections ?? []),
    [
      (options.dryRun ? `${title} (dry run: nothing was changed)` : title) + (cut ? cutShortHeading(cut) : ''),
      '',
      ...note,
      ...table(rows)
    ]
  ]
}

function table(rows: RetentionRow[]): string[] {
  const families = [...new Set(rows.map(({ family }) => family))]
  if (families.length > 1) {
    return [
      '| Region | Family | AMI | Created | Outcome |',
      '| --- | --- | --- | --- | --- |',
      ...rows.map(({ region, family, cells }) => `| ${[region, cell(family), ...cells].join(' | ')} |`)
    ]
  }
  return [
    ...(families.length === 1 ? [`Image family: ${cell(families[0])}`, ''] : []),
    '| Region | AMI | Created | Outcome |',
    '| --- | --- | --- | --- |',
    ...rows.map(({ region, cells }) => `| ${[region, ...cells].join(' | ')} |`)
  ]
}
