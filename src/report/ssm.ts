// What the SSM stage leaves for people: the log and the summary's section.
import * as core from '@actions/core'
import type { SsmParameterResult } from '../aws/ssm.js'
import { annotate } from './annotation.js'
import { cell, type SummaryModel } from './index.js'

/** Logs each region's result and adds the summary's section; returns the failures. */
export function reportSsmParameters(name: string, results: SsmParameterResult[], summary: SummaryModel): string[] {
  const failures: string[] = []
  const rows: string[] = []
  for (const result of results) {
    if (result.outcome === 'published') {
      core.info(`${result.region}: SSM parameter ${name} is ${result.amiId} (version ${result.version}).`)
      rows.push(`| ${result.region} | \`${result.amiId}\` | ${result.version} |`)
    } else {
      annotate({ level: 'error', message: result.error, title: `SSM parameter in ${result.region}` })
      summary.problems.push(result.error)
      failures.push(result.error)
      rows.push(`| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} |`)
    }
  }
  summary.sections = [
    ...(summary.sections ?? []),
    [`### SSM parameter \`${name}\``, '', '| Region | AMI | Parameter version |', '| --- | --- | --- |', ...rows]
  ]
  return failures
}
