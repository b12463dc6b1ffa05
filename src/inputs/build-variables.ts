// What of `build.*` a Packer fills in where a template reads it. packer validate checks a
// post-processor's settings against every attribute a provisioner gets, build.name included;
// Packer before 1.7.7 (hashicorp/packer#11323) then configures the post-processor again after
// the build with only what the builder generated, build.name not among it: the post-processor
// fails with `Unsupported attribute`, and Packer deletes the AMIs it has just made. Provisioners
// get build.name from 1.6.5 on, the version that brought it (before, validate refuses it).
// The connection values (build.Host, …) are generated only once Packer has connected: a build
// whose communicator is "none" lacks them, and so fails the same way; build.ID and
// build.PackerRunUUID it has (PopulateProvisionHookData in Packer's plugin SDK).
import lt from 'semver/functions/lt.js'
import valid from 'semver/functions/valid.js'
import type { InputProblem } from './reader.js'

/** A `build.*` attribute a block's setting reads, and where it is written. */
export interface BuildVariableUse {
  attribute: string
  /** The kind of block the setting is in, and its type (`manifest`). */
  block: 'post-processor'
  type: string
  /** The template file, as the log shows it, and where in it the setting is. */
  file: string
  line?: number
  column?: number
  /** The sources the block's build runs whose communicator is "none" (`amazon-ebs.web`). */
  sourcesWithoutCommunicator: string[]
}

/** The values a communicator gives a build once it has connected. */
const connectionAttributes = ['Host', 'Port', 'User', 'Password', 'ConnType', 'SSHPublicKey', 'SSHPrivateKey', 'WinRMPassword']

interface MissingRule {
  block: BuildVariableUse['block']
  attribute: string
  /** The first Packer that gives it there. */
  from: string
  /** Missing only from a build that connects no communicator. */
  withoutCommunicator?: true
}

/** The attributes a Packer before `from` accepts in validate but lacks when the block runs. */
const missingUntil: MissingRule[] = [
  { block: 'post-processor', attribute: 'name', from: '1.7.7' },
  ...connectionAttributes.map((attribute): MissingRule => ({ block: 'post-processor', attribute, from: '1.7.7', withoutCommunicator: true }))
]

/**
 * A problem for each use that `packerVersion` would fail on after the build: the job stops
 * before the build rather than let Packer make the AMIs and delete them.
 */
export function buildVariableProblems(uses: BuildVariableUse[], packerVersion: string): InputProblem[] {
  const version = valid(packerVersion)
  if (version === null) return []
  return uses.flatMap((use) => {
    const rule = missingUntil.find(({ block, attribute }) => block === use.block && attribute === use.attribute)
    if (!rule || !lt(version, rule.from)) return []
    if (rule.withoutCommunicator && use.sourcesWithoutCommunicator.length === 0) return []
    const what = `build.${use.attribute}`
    const failure =
      `packer validate accepts it, but the ${use.block} fails after the build ("Unsupported attribute") and Packer deletes ` +
      'the AMIs it made.'
    const message = rule.withoutCommunicator
      ? `${use.block} "${use.type}" reads ${what}, which Packer ${packerVersion} does not give a ${use.block} of a build ` +
        `that connects no communicator (${withoutCommunicator(use.sourcesWithoutCommunicator)}): ${failure} From Packer ` +
        `${rule.from} it no longer fails, and reads "<unknown>" there: set packer-version: ">=${rule.from}", give the ` +
        `source a communicator, or do not use ${what} in this ${use.block}.`
      : `${use.block} "${use.type}" reads ${what}, which Packer ${packerVersion} does not give a ${use.block} once the ` +
        `build is done: ${failure} ${what} works there from Packer ${rule.from}: set packer-version: ">=${rule.from}", ` +
        `or do not use ${what} in this ${use.block}.`
    return [{ message, location: { file: use.file, line: use.line, column: use.column } }]
  })
}

function withoutCommunicator(sources: string[]): string {
  return `${sources.join(', ')} ${sources.length === 1 ? 'has' : 'have'} communicator = "none"`
}
