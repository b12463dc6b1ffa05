// What the SSM stage leaves for people: the log and the summary's section.
import * as core from '@actions/core'
import type { SsmParameterResult } from '../aws/ssm.js'
import { annotate } from './annotation.js'
import { cutShortHeading, inRegions, regionRows, regionsWith, unanswered, type CutShort } from './cut-short.js'
import { cell, type SummaryModel } from './index.js'

/** Logs each region's result and adds the summary's section; returns the failures. */
export function reportSsmParameters(name: string, results: SsmParameterResult[], summary: SummaryModel): string[] {
  const failures: string[] = []
  const rows = results.map((result) => reportRegion(name, result, summary, failures))
  addSection(name, rows, summary)
  return failures
}

/**
 * The same for a stage that a cancel or a crash cut short: the regions that had a result, and
 * those that had none, whose parameter may or may not name the new AMI. Returns what was done,
 * region by region, for the failure's message.
 */
export function reportSsmParametersCutShort(
  name: string,
  amiIdsByRegion: Record<string, string>,
  finished: SsmParameterResult[],
  cut: CutShort,
  summary: SummaryModel
): string {
  const failures: string[] = []
  const { rows, unfinished } = regionRows(
    amiIdsByRegion,
    finished,
    (result) => reportRegion(name, result, summary, failures),
    (region, amiId) => {
      const state = unanswered(cut, `the parameter may or may not name ${amiId}`)
      core.info(`${region}: SSM parameter ${name}: ${state}.`)
      return `| ${region} | \`${amiId}\` | ${state} |`
    }
  )
  addSection(name, rows, summary, cut)
  return inRegions([
    ['published', regionsWith(finished, 'published')],
    ['failed', regionsWith(finished, 'failed')],
    ['no answer yet', unfinished]
  ])
}

function reportRegion(name: string, result: SsmParameterResult, summary: SummaryModel, failures: string[]): string {
  if (result.outcome === 'published') {
    core.info(`${result.region}: SSM parameter ${name} is ${result.amiId} (version ${result.version}).`)
    return `| ${result.region} | \`${result.amiId}\` | ${result.version} |`
  }
  annotate({ level: 'error', message: result.error, title: `SSM parameter in ${result.region}` })
  summary.problems.push(result.error)
  failures.push(result.error)
  return `| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} |`
}

function addSection(name: string, rows: string[], summary: SummaryModel, cut?: CutShort): void {
  summary.sections = [
    ...(summary.sections ?? []),
    [
      `### SSM parameter \`${name}\`${cut ? cutShortHeading(cut) : ''}`,
      '',
      '| Region | AMI | Parameter version |',
      '| --- | --- | --- |',
      ...rows
    ]
  ]
}
