// What the retention stage leaves for people and later steps: the log, the deregistered output
// and the summary's section, with every AMI of each family and what happened to it.
import * as core from '@actions/core'
import type { RetainedImage, RetentionResult } from '../aws/retention.js'
import { annotate } from './annotation.js'
import { cell, setOutputs, type SummaryModel } from './index.js'

/** "snapshots deleted: a; left: b (in use by ami-…)": a snapshot another AMI uses stays. */
function snapshotFates(image: RetainedImage): string {
  const left = image.snapshotsLeft ?? []
  const deleted = image.snapshotIds.filter((id) => !left.some((one) => one.snapshotId === id))
  const fates = [`snapshots deleted: ${deleted.length > 0 ? deleted.join(', ') : 'none'}`]
  if (left.length > 0) fates.push(`left: ${left.map(({ snapshotId, usedBy }) => `${snapshotId} (in use by ${usedBy})`).join(', ')}`)
  return fates.join('; ')
}

function outcome(image: RetainedImage): string {
  const snapshots = image.snapshotIds.length > 0 ? image.snapshotIds.join(', ') : 'none'
  switch (image.action) {
    case 'kept: in use':
      return `kept: in use by ${(image.usedBy ?? []).join(', ')}`
    case 'kept: protected':
      return `kept: protected from deregistration (${image.protection ?? 'enabled'})`
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

function logResult(result: RetentionResult, failures: string[]): void {
  if (result.error !== undefined) {
    annotate({ level: 'error', message: result.error, title: `Retention in ${result.region}` })
    failures.push(result.error)
  }
  if (result.warning !== undefined) annotate({ level: 'warning', message: result.warning, title: `Retention in ${result.region}` })
  for (const image of result.images) {
    const line = `${result.region}: ${image.amiId} (${result.family}, created ${image.created}): ${outcome(image)}`
    if (image.error === undefined) {
      core.info(line)
      continue
    }
    annotate({ level: 'error', message: `${result.region}: ${image.error}`, title: `Retention in ${result.region}` })
    failures.push(`${result.region}: ${image.error}`)
  }
}

/** Logs every AMI's fate, sets `deregistered`, adds the summary's section; returns the failures. */
export function reportRetention(
  results: RetentionResult[],
  options: { keep: number; dryRun: boolean },
  summary: SummaryModel
): string[] {
  const failures: string[] = []
  const rows: string[] = []
  const deregistered: Array<{ region: string; amiId: string }> = []
  for (const result of results) {
    logResult(result, failures)
    const whole = result.error ?? result.warning
    if (whole !== undefined) rows.push(`| ${result.region} | ${cell(result.family)} | — | — | ${cell(whole)} |`)
    for (const image of result.images) {
      if (image.action === 'deregistered') deregistered.push({ region: result.region, amiId: image.amiId })
      rows.push(`| ${result.region} | ${cell(result.family)} | \`${image.amiId}\` | ${image.created} | ${cell(outcome(image))} |`)
    }
  }
  summary.problems.push(...failures)
  setOutputs({ deregistered: JSON.stringify(deregistered) })
  const title = `### Retention: the newest ${options.keep} AMI(s) of each image family are kept`
  summary.sections = [
    ...(summary.sections ?? []),
    [
      options.dryRun ? `${title} (dry run: nothing was changed)` : title,
      '',
      '| Region | Family | AMI | Created | Outcome |',
      '| --- | --- | --- | --- | --- |',
      ...rows
    ]
  ]
  return failures
}
