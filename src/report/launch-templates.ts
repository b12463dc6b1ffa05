// What the launch template stage leaves for people and later steps: the log, the
// launch-template-versions output and the summary's section.
import * as core from '@actions/core'
import type { LaunchTemplateResult } from '../aws/launch-templates.js'
import type { LaunchTemplateRef } from '../inputs/launch-template.js'
import { annotate } from './annotation.js'
import { cutShortHeading, inRegions, regionRows, regionsWith, unanswered, type CutShort } from './cut-short.js'
import { cell, plainText, setOutputs, type SummaryModel } from './index.js'
import { newerRunText, rollBack } from './newer-runs.js'

function shown(template: LaunchTemplateRef): string {
  return template.id ?? template.name
}

/**
 * Logs a region's result as soon as it is known (rollLaunchTemplates' onResult): with 16
 * regions, the slowest can keep the stage waiting for minutes, and the log shows meanwhile
 * which are done.
 */
export function logLaunchTemplate(template: LaunchTemplateRef, result: LaunchTemplateResult): void {
  const named = result.outcome === 'missing' || result.outcome === 'failed' ? '' : `launch template ${result.launchTemplateName} (${result.launchTemplateId})`
  if (result.outcome === 'updated' && result.madeEarlier) {
    core.info(`${result.region}: ${named} version ${result.version}, made for ${result.amiId} by an earlier run, is now its default; no version made.`)
  } else if (result.outcome === 'updated') {
    const state = result.madeDefault ? 'now its default' : 'not made the default'
    core.info(`${result.region}: ${named} version ${result.version} launches ${result.amiId}, ${state}.`)
  } else if (result.outcome === 'follows') {
    const set = {
      set: `which this run sets to ${result.amiId}`,
      unset: "which this run did not set there (see the SSM parameter's line for the region), so it launches the AMI the parameter holds, if any",
      other: 'which this run does not set'
    }[result.parameter]
    const through = result.parameter === 'other' ? result.imageId : `SSM parameter ${result.imageId.slice('resolve:ssm:'.length)}`
    core.info(`${result.region}: ${named} version ${result.version}, its default, launches the AMI that ${through} resolves to, ${set}; no version made.`)
  } else if (result.outcome === 'newer') {
    annotate({
      level: 'warning',
      title: 'Launch template',
      message: `${result.region}: launch template ${result.launchTemplateName} left at its default version, which launches ${newerRunText(result.newer)}: ${rollBack(result.amiId, 'no version is made for it')}`
    })
  } else if (result.outcome === 'current') {
    const which = result.isDefault ? 'its default' : 'its latest'
    const by = result.madeByAttempt === undefined ? '' : ` (made by an earlier attempt of this run, ${result.madeByAttempt}: in launch-template-versions again)`
    core.info(`${result.region}: ${named} version ${result.version}, ${which}, already launches ${result.amiId}${by}; no version made.`)
  } else if (result.outcome === 'missing') {
    core.info(`${result.region}: there is no launch template ${shown(template)} in this region; nothing to update.`)
  } else {
    annotate({ level: 'error', message: result.error, title: 'Launch template' })
  }
}

/**
 * Sets the output and adds the summary's section, its regions in the order of `results`, and the
 * failures to its problems; returns the failures. Each region's result is in the log already
 * (logLaunchTemplate).
 */
export function reportLaunchTemplates(
  template: LaunchTemplateRef,
  results: LaunchTemplateResult[],
  summary: SummaryModel,
  build?: string
): string[] {
  const versions: Record<string, number> = {}
  const failures: string[] = []
  const rows = results.map((result) => regionRow(result, summary, versions, failures))
  setOutputs({ 'launch-template-versions': JSON.stringify(versions) })
  const nowhere = missingEverywhere(template, results)
  if (nowhere) annotate({ level: 'warning', message: nowhere, title: 'Launch template' })
  warnOfUnpublishedParameters(template, results)
  // The section's heading names the template, as code: its name may hold Markdown's _ or ( ).
  addSection(template, nowhere ? [...rows, '', nowhereInSummary] : rows, summary, build)
  return failures
}

/** The summary's line for missingEverywhere, under the section's heading that names the template. */
const nowhereInSummary = 'No region the AMIs were built in has this launch template, so no version was made. Check the name or ID.'

/** The same, for a stage cut short: of the regions that answered. */
const nowhereAnsweredInSummary = 'No region that answered has this launch template, so no version was made there. Check the name or ID.'

/**
 * When no region the AMIs were built in has the template. One region without it is how a
 * template rolled out to some regions only is meant to be used; none at all is almost surely a
 * name or ID mistyped, which would otherwise leave the step green with nothing rolled out. A
 * warning, not a failure: the AMIs are built and tagged either way, and a first run may come
 * before the template is made (from the AMI the run builds).
 */
function missingEverywhere(template: LaunchTemplateRef, results: LaunchTemplateResult[]): string | undefined {
  if (results.length === 0 || results.some((result) => result.outcome !== 'missing')) return undefined
  const regions = results.map((result) => result.region).join(', ')
  return `launch-template: there is no launch template ${shown(template)} in any region the AMIs were built in (${regions}), so no version was made. Check the name or ID.`
}

/**
 * The same for a stage cut short, of the regions that answered: each that did said it has no
 * such template. The mistyped name is as likely as in a run that finished, and the user, who
 * reruns after a cancel, should fix it first; the regions that had not answered are named, as
 * one of them may have it.
 */
function missingWhereAnswered(template: LaunchTemplateRef, finished: LaunchTemplateResult[], unfinished: string[], cut: CutShort): string | undefined {
  if (unfinished.length === 0) return missingEverywhere(template, finished)
  if (finished.length === 0 || finished.some((result) => result.outcome !== 'missing')) return undefined
  // In name order, as the failure's message names them: not in the order AWS answered.
  const regions = finished.map((result) => result.region).sort().join(', ')
  const before = cut === 'cancelled' ? 'the run was cancelled' : 'the action failed'
  return (
    `launch-template: there is no launch template ${shown(template)} in any region that answered before ${before} (${regions}), ` +
    `so no version was made there; ${unfinished.join(', ')} had not answered. Check the name or ID.`
  )
}

/**
 * Where the default resolves its AMI through an SSM parameter this run does not set, no version
 * was made: the user asked for the AMIs to be rolled out, and is told why they were not and what
 * to change. One warning for all such regions, as a template is mostly set up alike in each.
 */
function warnOfUnpublishedParameters(template: LaunchTemplateRef, results: LaunchTemplateResult[]): void {
  const unpublished = results.flatMap((result) => (result.outcome === 'follows' && result.parameter === 'other' ? [`${result.region} (${result.imageId})`] : []))
  if (unpublished.length === 0) return
  annotate({
    level: 'warning',
    title: 'Launch template',
    message:
      `launch-template: the default version of ${shown(template)} launches the AMI that an SSM parameter resolves to, and this ` +
      `run does not set that parameter, in ${unpublished.join(', ')}, so no version was made there: a version naming the new AMI ` +
      'would stop the template following the parameter. To roll the AMIs out through the parameter, set ssm-parameter to its ' +
      'name; to roll them out as AMI IDs, make the default version name an AMI ID.'
  })
}

/**
 * The same for a stage that a cancel or a crash cut short: the versions made so far are in the
 * output and the section (and each in the log as it came), and the regions that had no result are
 * said, in the log too, to be unknown (a version may have been made there). Returns what was
 * done, region by region, for the failure's message.
 */
export function reportLaunchTemplatesCutShort(
  template: LaunchTemplateRef,
  amiIdsByRegion: Record<string, string>,
  finished: LaunchTemplateResult[],
  cut: CutShort,
  summary: SummaryModel,
  build?: string
): string {
  const versions: Record<string, number> = {}
  const failures: string[] = []
  const { rows, unfinished } = regionRows(
    amiIdsByRegion,
    finished,
    (result) => regionRow(result, summary, versions, failures),
    (region, amiId) => {
      const state = unanswered(cut, `a new version may or may not launch ${amiId}`)
      core.info(`${region}: launch template ${shown(template)}: ${state}.`)
      return `| ${region} | \`${amiId}\` | ${state} | — |`
    }
  )
  setOutputs({ 'launch-template-versions': JSON.stringify(versions) })
  const nowhere = missingWhereAnswered(template, finished, unfinished, cut)
  if (nowhere) annotate({ level: 'warning', message: nowhere, title: 'Launch template' })
  warnOfUnpublishedParameters(template, finished)
  const said = unfinished.length === 0 ? nowhereInSummary : nowhereAnsweredInSummary
  addSection(template, nowhere ? [...rows, '', said] : rows, summary, build, cut)
  return inRegions([
    ['new version', regionsWith(finished, 'updated')],
    ['already launching its AMI', regionsWith(finished, 'current')],
    ['following an SSM parameter', regionsWith(finished, 'follows')],
    ['left at a newer run\'s AMI', regionsWith(finished, 'newer')],
    ['no such template', regionsWith(finished, 'missing')],
    ['failed', regionsWith(finished, 'failed')],
    ['no answer yet', unfinished]
  ])
}

function regionRow(result: LaunchTemplateResult, summary: SummaryModel, versions: Record<string, number>, failures: string[]): string {
  if (result.outcome === 'updated') {
    versions[result.region] = result.version
    const made = result.madeEarlier ? `${result.version}, made by an earlier run` : String(result.version)
    return `| ${result.region} | \`${result.amiId}\` | ${made} | ${result.madeDefault ? 'yes' : 'no'} |`
  }
  if (result.outcome === 'follows') {
    const follows = {
      set: `SSM parameter \`${result.imageId.slice('resolve:ssm:'.length)}\``,
      unset: `SSM parameter \`${result.imageId.slice('resolve:ssm:'.length)}\`, which this run did not set there: it launches the AMI the parameter holds, if any`,
      other: `\`${result.imageId}\`, which this run does not set`
    }[result.parameter]
    return `| ${result.region} | \`${result.amiId}\` | none: version ${result.version}, the default, follows ${follows} | yes |`
  }
  if (result.outcome === 'newer') {
    return `| ${result.region} | \`${result.amiId}\` | none: version ${result.version}, the default, left at ${cell(newerRunText(result.newer))} | yes |`
  }
  if (result.outcome === 'current') {
    const which = result.isDefault ? 'the default' : 'the latest'
    // A job re-run hands the steps after it what the attempt that made the version handed them.
    if (result.madeByAttempt !== undefined) {
      versions[result.region] = result.version
      return `| ${result.region} | \`${result.amiId}\` | none: version ${result.version}, ${which}, made by an earlier attempt of this run (${result.madeByAttempt}), already launches \`${result.amiId}\` | ${result.isDefault ? 'yes' : 'no'} |`
    }
    return `| ${result.region} | \`${result.amiId}\` | none: version ${result.version}, ${which}, already launches \`${result.amiId}\` | ${result.isDefault ? 'yes' : 'no'} |`
  }
  if (result.outcome === 'missing') return `| ${result.region} | \`${result.amiId}\` | no such template in this region | — |`
  summary.problems.push(result.error)
  failures.push(result.error)
  return `| ${result.region} | \`${result.amiId}\` | failed: ${cell(result.error)} | — |`
}

/** `build`: whose AMIs the rows are, when the run made AMIs of several builds (rolledOutBuild). */
function addSection(template: LaunchTemplateRef, rows: string[], summary: SummaryModel, build: string | undefined, cut?: CutShort): void {
  summary.sections = [
    ...(summary.sections ?? []),
    [
      `### Launch template \`${shown(template)}\`${cut ? cutShortHeading(cut) : ''}`,
      '',
      ...(build === undefined ? [] : [`The AMIs of build ${plainText(build)} (those of ami-ids): no version is made for another build's.`, '']),
      '| Region | AMI | New version | Default |',
      '| --- | --- | --- | --- |',
      ...rows
    ]
  ]
}
