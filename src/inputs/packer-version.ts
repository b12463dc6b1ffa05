// Input packer-version read as semver: an exact version or a range. A module of its own, which
// the input checks import only when packer-version asks for more than latest (the default):
// dist/index.js holds it, but runs semver's module code only then.
import semver from 'semver'
import { asksForLatest, type VersionRequest } from './packer.js'

/** undefined when `spec` is neither latest, a version nor a semver range. */
export function parseVersionRequest(spec: string): VersionRequest | undefined {
  if (asksForLatest(spec)) return { kind: 'latest' }
  const trimmed = spec.trim()
  const exact = semver.valid(semver.clean(trimmed))
  if (exact) return { kind: 'exact', version: exact }
  return semver.validRange(trimmed) ? { kind: 'range', range: trimmed } : undefined
}

/**
 * The oldest Packer the action supports: HCL2 templates and the machine-readable output the
 * action reads both came with 1.5.
 */
export const oldestPacker = '1.5.0'

/**
 * A request that only older Packers satisfy. Its usual cause is YAML: an unquoted 1.10 is the
 * number 1.1 by the time the action reads it. An exact version is compared as a version: the
 * first range semver matches compiles its range patterns, ~8 ms before Packer can start.
 */
export function packerVersionProblem(spec: string): string | undefined {
  if (asksForLatest(spec)) return undefined
  const exact = semver.valid(semver.clean(spec.trim()))
  if (exact) return semver.lt(exact, oldestPacker) ? tooOld(spec) : undefined
  const range = semver.validRange(spec)
  if (range === null || semver.intersects(range, `>=${oldestPacker}`)) return undefined
  return tooOld(spec)
}

function tooOld(spec: string): string {
  const mangled = /^\d+\.\d$/.test(spec)
    ? ` If you wrote ${spec}0 without quotes, YAML read it as the number ${spec}: write '${spec}0'.`
    : ''
  return `packer-version: "${spec}" asks for a Packer older than ${oldestPacker}, the oldest this action supports.${mangled}`
}
