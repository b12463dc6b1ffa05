// Input packer-version read as semver: an exact version or a range. A file of its own
// (dist/stages/packer-version.js), which the input checks import only when packer-version asks
// for more than latest (the default): a run that asks for latest does not even compile semver
// before its inputs are checked. Only the semver functions used here.
import clean from 'semver/functions/clean.js'
import lt from 'semver/functions/lt.js'
import valid from 'semver/functions/valid.js'
import intersects from 'semver/ranges/intersects.js'
import validRange from 'semver/ranges/valid.js'
import { asksForLatest, type VersionRequest } from './version-request.js'

/** undefined when `spec` is neither latest, a version nor a semver range. */
export function parseVersionRequest(spec: string): VersionRequest | undefined {
  if (asksForLatest(spec)) return { kind: 'latest' }
  const trimmed = spec.trim()
  const exact = valid(clean(trimmed))
  if (exact) return { kind: 'exact', version: exact }
  return validRange(trimmed) ? { kind: 'range', range: trimmed } : undefined
}

/**
 * The oldest Packer the action supports: HCL2 templates and the machine-readable output the
 * action reads both came with 1.5.
 */
export const oldestPacker = '1.5.0'

/**
 * A request (`spec` as written) that only older Packers satisfy. Its usual cause is YAML: an
 * unquoted 1.10 is the number 1.1 by the time the action reads it. An exact version is compared
 * as a version: semver keeps pre-releases out of ranges, and matching a range takes ~2 ms more.
 */
export function packerVersionProblem(request: VersionRequest, spec: string): string | undefined {
  switch (request.kind) {
    case 'latest':
      return undefined
    case 'exact':
      return lt(request.version, oldestPacker) ? tooOld(spec) : undefined
    case 'range':
      return intersects(request.range, `>=${oldestPacker}`) ? undefined : tooOld(spec)
  }
}

function tooOld(spec: string): string {
  const mangled = /^\d+\.\d$/.test(spec)
    ? ` If you wrote ${spec}0 without quotes, YAML read it as the number ${spec}: write '${spec}0'.`
    : ''
  return `packer-version: "${spec}" asks for a Packer older than ${oldestPacker}, the oldest this action supports.${mangled}`
}
