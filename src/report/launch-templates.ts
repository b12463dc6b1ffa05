// What the launch template stage leaves for people and later steps: the log, the
// launch-template-versions output and the summary's section.
import * as core from '@actions/core'
import type { LaunchTemplateResult } from '../aws/launch-templates.js'
import type { LaunchTemplateRef } from '../inputs/launch-template.js'
import { annotate } from './annotation.js'
import { cutShortHeading, inRegions, regionRows, regionsWith, unanswered, type CutShort } from './cut-short.js'
import { cell, setOutputs, type SummaryModel } from './index.js'

function shown(template: LaunchTemplateRef): string {
  return template.id ?? template.name
}

/** Logs each region's result, sets the output, adds the summary's section; returns the failures. */
export function reportLaunchTemplates(
  template: LaunchTemplateRef,
  results: LaunchTemplateResult[],
  summary: SummaryModel
): string[] {
  const versions: Record<string, number> = {}
  const failures: string[] = []
  const rows = results.map((result) => reportRegion(template, result, summary, versions, failures))
  setOutputs({ 'launch-template-versions': JSON.stringify(versions) })
  addSection(template, rows, summary)
  return failures
}

/**
 * The same for a stage that a cancel or a crash cut short: the versions made so far are in the
 * output and the section, and the regions that had no result are said to be unknown (a version
 * may have been made there). Returns what was done, region by region, for the failure's message.
 */
export function reportLaunchTemplatesCutShort(
  template: LaunchTemplateRef,
  amiIdsByRegion: Record<string, string>,
  finished: LaunchTemplateResult[],
  cut: CutShort,
  summary: SummaryModel
): string {
  const versions: Record<string, number> = {}
  const failures: string[] = []
  const { rows, unfinished } = regionRows(
    amiIdsByRegion,
    finished,
    (result) => reportRegion(template, result, summary, versions, failures),
    (region, amiId) => {
      const state = unanswered(cut, `a new version may or may not launch ${amiId}`)
      core.info(`${region}: launch template ${shown(template)}: ${state}.`)
      return `| ${region} | \`${amiId}\` | ${state} | — |`
    }
  )
  setOutputs({ 'launch-template-versions': JSON.stringify(versions) })
  addSection(template, rows, summary, cut)
  return inRegions([
    ['new version', regionsWith(finished, 'updated')],
    ['no such template', regionsWith(finished, 'missing')],
    ['failed', regionsWith(finished, 'failed')],
    ['no answer yet', unfinished]
  ])
}

function reportRegion(
  template: LaunchTemplateRef,
  result: LaunchTemplateResult,
  summary: SummaryModel,
  versions: Record<string, number>,
  failures: string[]
): string {
  if (result.outcome === 'updated') {
    versions[result.region] = result.version
    const state = result.madeDefault ? 'now its default' : 'not made the default'
    core.info(`${result.region}: launch template ${result.launchTemplateName} (${result.launchTemplateId}) version ${result.version} launches ${result.amiId}, ${state}.`)
    return `| ${result.region} | \`${result.amiId}\` | ${result.version} | ${result.madeDefault ? 'yes' : 'no'} |`
  }
  if (result.outcome === 'missing') {
    core.info(`${result.region}: there is no launch template ${shown(template)} in this region; nothing to update.`)
    return `| ${result.region} | \`${result.amiId}\` | no such template in this region | — |`
  }
  annotate({ level: 'error', message: result.error, title: `Launch template in ${result.region}` })
  summary.problems.push(result.error)
  failures.push(result.error)
  return `| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} | — |`
}

function addSection(template: LaunchTemplateRef, rows: string[], summary: SummaryModel, cut?: CutShort): void {
  summary.sections = [
    ...(summary.sections ?? []),
    [
      `### Launch template \`${shown(template)}\`${cut ? cutShortHeading(cut) : ''}`,
      '',
      '| Region | AMI | New version | Default |',
      '| --- | --- | --- | --- |',
      ...rows
    ]
  ]
}
