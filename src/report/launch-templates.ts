// What the launch template stage leaves for people and later steps: the log, the
// launch-template-versions output and the summary's section.
import * as core from '@actions/core'
import type { LaunchTemplateResult } from '../aws/launch-templates.js'
import type { LaunchTemplateRef } from '../inputs/launch-template.js'
import { annotate } from './annotation.js'
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
  const rows: string[] = []
  for (const result of results) {
    if (result.outcome === 'updated') {
      versions[result.region] = result.version
      const state = result.madeDefault ? 'now its default' : 'not made the default'
      core.info(`${result.region}: launch template ${result.launchTemplateName} (${result.launchTemplateId}) version ${result.version} launches ${result.amiId}, ${state}.`)
      rows.push(`| ${result.region} | \`${result.amiId}\` | ${result.version} | ${result.madeDefault ? 'yes' : 'no'} |`)
    } else if (result.outcome === 'missing') {
      core.info(`${result.region}: there is no launch template ${shown(template)} in this region; nothing to update.`)
      rows.push(`| ${result.region} | \`${result.amiId}\` | no such template in this region | — |`)
    } else {
      annotate({ level: 'error', message: result.error, title: `Launch template in ${result.region}` })
      summary.problems.push(result.error)
      failures.push(result.error)
      rows.push(`| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} | — |`)
    }
  }
  setOutputs({ 'launch-template-versions': JSON.stringify(versions) })
  summary.sections = [
    ...(summary.sections ?? []),
    [`### Launch template \`${shown(template)}\``, '', '| Region | AMI | New version | Default |', '| --- | --- | --- | --- |', ...rows]
  ]
  return failures
}
