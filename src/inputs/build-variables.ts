// What of `build.*` a Packer fills in where a template reads it. packer validate checks a
// post-processor's settings against every attribute a provisioner gets, build.name included;
// Packer before 1.7.7 (hashicorp/packer#11323) then configures the post-processor again after
// the build with only what the builder generated, build.name not among it: the post-processor
// fails with `Unsupported attribute`, and Packer deletes the AMIs it has just made. Provisioners
// get build.name from 1.6.5 on, the version that brought it (before, validate refuses it).
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
}

/** The attributes a Packer before `from` accepts in validate but lacks when the block runs. */
const missingUntil: Array<{ block: BuildVariableUse['block']; attribute: string; from: string }> = [
  { block: 'post-processor', attribute: 'name', from: '1.7.7' }
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
    const what = `build.${use.attribute}`
    return [
      {
        message:
          `${use.block} "${use.type}" reads ${what}, which Packer ${packerVersion} does not give a ${use.block} once ` +
          `the build is done: packer validate accepts it, but the ${use.block} fails after the build ("Unsupported ` +
          `attribute") and Packer deletes the AMIs it made. ${what} works there from Packer ${rule.from}: set ` +
          `packer-version: ">=${rule.from}", or do not use ${what} in this ${use.block}.`,
        location: { file: use.file, line: use.line, column: use.column }
      }
    ]
  })
}
