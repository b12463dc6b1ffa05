// What the post step says of AMIs that no output holds: those of the builds that finished
// before the main step was killed, which did not live to set its outputs or write its summary.
import { amisWritten } from '../artifacts/index.js'
import type { Ami } from '../artifacts/manifest.js'
import type { LeftoverState } from '../aws/leftovers.js'
import { annotate } from './annotation.js'
import { consoleUrl, plainText, writeSummaryText } from './index.js'
import { masked } from './masks.js'

/** A build that finished, and its AMIs as far as they are known. */
export interface UnreportedBuild {
  build: string
  amis: Array<{ region: string; amiId: string }>
  /** Only the AMI Packer announced is known (no manifest listed the build): its copies are not. */
  copiesUnknown: boolean
}

/**
 * The builds that finished, from the manifest that the build wrote (`written`, every region of
 * each), then those only Packer's log named (its `AMI: ami-…`, the build's own region).
 */
export function unreportedBuilds(state: LeftoverState, written: Ami[]): UnreportedBuild[] {
  const finished = state.finished ?? []
  const builds: UnreportedBuild[] = []
  for (const ami of written) {
    // A manifest names an HCL2 build by its source alone: the log's name for the same AMI wins.
    const build = finished.find((image) => written.some((other) => other.build === ami.build && other.amiId === image.ami))?.build ?? ami.build
    const entry = builds.find((known) => known.build === build)
    if (entry) entry.amis.push({ region: ami.region, amiId: ami.amiId })
    else builds.push({ build, amis: [{ region: ami.region, amiId: ami.amiId }], copiesUnknown: false })
  }
  const listed = new Set(written.map((ami) => ami.amiId))
  for (const { build, ami } of finished) {
    if (!listed.has(ami)) builds.push({ build, amis: [{ region: '', amiId: ami }], copiesUnknown: true })
  }
  return builds
}

/** The post step's warning about them, or undefined when there are none. */
export function unreportedWarning(builds: UnreportedBuild[]): string | undefined {
  if (builds.length === 0) return undefined
  const made = builds
    .map(({ build, amis }) => `build ${build}: ${amis.map(({ region, amiId }) => (region ? `${amiId} (${region})` : amiId)).join(', ')}`)
    .join('; ')
  const copies = builds.some((build) => build.copiesUnknown) ? ', and their copies in the regions of ami_regions,' : ''
  return (
    `The main step ended before it set its outputs, but builds had finished: ${made}. ` +
    `These AMIs${copies} exist and are not tagged; they are in no output and the post step leaves them.`
  )
}

/** The post step's job summary for them: the main step's was never written. */
export function renderUnreported(builds: UnreportedBuild[]): string {
  const lines = [
    '## Packer AMI build: :warning: AMIs not in the outputs',
    '',
    'The main step ended before it set its outputs (it was killed), but these builds had finished. ' +
      'Their AMIs exist and are not tagged; no output holds them, and the post step leaves them.',
    ''
  ]
  for (const { build, amis, copiesUnknown } of builds) {
    lines.push(`### ${plainText(masked(build))}`, '', '| Region | AMI |', '| --- | --- |')
    for (const { region, amiId } of amis) {
      lines.push(region ? `| ${region} | [\`${amiId}\`](${consoleUrl(region, amiId)}) |` : `| the build's own | \`${amiId}\` |`)
    }
    lines.push('')
    if (copiesUnknown) lines.push("Its copies in the regions of `ami_regions`, if any, exist too: Packer's log names only this AMI.", '')
  }
  return lines.join('\n')
}

/**
 * Names the AMIs of the builds that finished before the main step was killed, every region of
 * each when the manifest the build wrote lists them: in a warning, and in the post step's summary
 * unless the user asked for none (summary: false; the warning says it all).
 */
export async function reportUnreportedAmis(state: LeftoverState): Promise<void> {
  const builds = unreportedBuilds(state, amisWritten(state.manifests ?? []))
  const warning = unreportedWarning(builds)
  if (warning === undefined) return
  annotate({ level: 'warning', message: warning, title: 'AMIs not in the outputs' })
  if (state.summary !== false) await writeSummaryText(renderUnreported(builds))
}
