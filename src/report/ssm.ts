// What the SSM stage leaves for people: the log and the summary's section.
import * as core from '@actions/core'
import type { SsmParameterResult } from '../aws/ssm.js'
import { annotate } from './annotation.js'
import { cutShortHeading, inRegions, regionRows, regionsWith, unanswered, type CutShort } from './cut-short.js'
import { cell, plainText, type SummaryModel } from './index.js'
import { newerRunText, oneAfterTheOther, rollBack } from './newer-runs.js'

/**
 * Logs a region's result as soon as it is known (publishAmiIds' onResult): with 16 regions, the
 * slowest can keep the stage waiting for minutes, and the log shows meanwhile which are done.
 */
export function logSsmParameter(name: string, result: SsmParameterResult): void {
  if (result.outcome === 'published') {
    const unchanged = result.unchanged ? ', as an earlier run set it; not put again' : ''
    core.info(`${result.region}: SSM parameter ${name} is ${result.amiId} (version ${result.version}${unchanged}).`)
    return
  }
  if (result.outcome === 'replaced') {
    annotate({ level: 'warning', message: `${result.region}: SSM parameter ${name} ${replacedText(result.replacedBy, result.amiId, result.version)}`, title: 'SSM parameter' })
    return
  }
  if (result.outcome === 'newer') {
    annotate({ level: 'warning', message: `${result.region}: SSM parameter ${name} left at ${newerRunText(result.newer)}: ${rollBack(result.amiId)}`, title: 'SSM parameter' })
    return
  }
  annotate({ level: 'error', message: result.error, title: 'SSM parameter' })
}

/**
 * Adds the summary's section, its regions in the order of `results`, and the failures to its
 * problems; returns the failures. Each region's result is in the log already (logSsmParameter).
 */
export function reportSsmParameters(name: string, results: SsmParameterResult[], summary: SummaryModel, build?: string): string[] {
  const failures: string[] = []
  const rows = results.map((result) => regionRow(result, summary, failures))
  addSection(name, rows, summary, build)
  return failures
}

/**
 * The same for a stage that a cancel or a crash cut short: the regions that had a result (each
 * logged as it came), and those that had none, whose parameter may or may not name the new AMI,
 * logged now. Returns what was done, region by region, for the failure's message.
 */
export function reportSsmParametersCutShort(
  name: string,
  amiIdsByRegion: Record<string, string>,
  finished: SsmParameterResult[],
  cut: CutShort,
  summary: SummaryModel,
  build?: string
): string {
  const failures: string[] = []
  const { rows, unfinished } = regionRows(
    amiIdsByRegion,
    finished,
    (result) => regionRow(result, summary, failures),
    (region, amiId) => {
      const state = unanswered(cut, `the parameter may or may not name ${amiId}`)
      core.info(`${region}: SSM parameter ${name}: ${state}.`)
      return `| ${region} | \`${amiId}\` | ${state} |`
    }
  )
  addSection(name, rows, summary, build, cut)
  return inRegions([
    ['published', regionsWith(finished, 'published')],
    ['left at a newer run\'s AMI', regionsWith(finished, 'newer')],
    ['put, then replaced by another run', regionsWith(finished, 'replaced')],
    ['failed', regionsWith(finished, 'failed')],
    ['no answer yet', unfinished]
  ])
}

/** What a parameter that another run put after this one holds. */
function replacedText(by: { amiId: string; version: number }, amiId: string, version: number): string {
  return (
    `holds ${by.amiId} (version ${by.version}), which another run put after this run's ${amiId} (version ${version}): ` +
    `two runs that publish this parameter overlapped. ${oneAfterTheOther}`
  )
}

function regionRow(result: SsmParameterResult, summary: SummaryModel, failures: string[]): string {
  if (result.outcome === 'published') {
    return `| ${result.region} | \`${result.amiId}\` | ${result.version}${result.unchanged ? ', set by an earlier run' : ''} |`
  }
  if (result.outcome === 'replaced') {
    return `| ${result.region} | \`${result.amiId}\` | ${result.version}, then ${result.replacedBy.version}: \`${result.replacedBy.amiId}\`, put by another run |`
  }
  if (result.outcome === 'newer') {
    return `| ${result.region} | \`${result.amiId}\` | not put: left at ${cell(newerRunText(result.newer))} |`
  }
  summary.problems.push(result.error)
  failures.push(result.error)
  return `| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} |`
}

/** `build`: whose AMIs the rows are, when the run made AMIs of several builds (rolledOutBuild). */
function addSection(name: string, rows: string[], summary: SummaryModel, build: string | undefined, cut?: CutShort): void {
  summary.sections = [
    ...(summary.sections ?? []),
    [
      `### SSM parameter \`${name}\`${cut ? cutShortHeading(cut) : ''}`,
      '',
      ...(build === undefined ? [] : [`The AMIs of build ${plainText(build)} (those of ami-ids): the parameter gets no other build's.`, '']),
      '| Region | AMI | Parameter version |',
      '| --- | --- | --- |',
      ...rows
    ]
  ]
}
