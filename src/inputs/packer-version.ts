// Input packer-version read as semver: an exact version or a range. A file of its own
// (dist/stages/packer-version.js), which the input checks import only when packer-version asks
// for more than latest (the default) or a plain version such as 1.11.2 (readPlainVersion): a run
// that asks for either does not even compile semver before its inputs are checked. Only the
// semver functions used here.
import clean from 'semver/functions/clean.js'
import compare from 'semver/functions/compare.js'
import lt from 'semver/functions/lt.js'
import prerelease from 'semver/functions/prerelease.js'
import valid from 'semver/functions/valid.js'
import intersects from 'semver/ranges/intersects.js'
import validRange from 'semver/ranges/valid.js'
import { asksForLatest, oldestPacker, tooOld, type VersionRequest } from './version-request.js'

/** undefined when `spec` is neither latest, a version nor a semver range. */
export function parseVersionRequest(spec: string): VersionRequest | undefined {
  if (asksForLatest(spec)) return { kind: 'latest' }
  const trimmed = spec.trim()
  const exact = valid(clean(trimmed))
  if (exact) return { kind: 'exact', version: exact }
  return validRange(trimmed) ? { kind: 'range', range: trimmed } : undefined
}

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

/**
 * Packer checks `required_version` since 1.6.5; one before it refuses a `packer` block, and says
 * so itself.
 */
const requiredVersionSince = '1.6.5'

/** One part of a constraint as hashicorp/go-version reads it, for the versions of up to three numbers this reads. */
const constraintPart = /^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/

interface ConstraintPart {
  operator: string
  /** As written: `~>` keeps all but the last of them. */
  segments: number[]
}

/**
 * A constraint of go-version's (`>= 1.9, < 2`, `~> 1.10`), undefined where it is written in a
 * way this does not read (pre-releases, four numbers, an operator of a later go-version): Packer
 * then decides.
 */
function readConstraint(constraint: string): ConstraintPart[] | undefined {
  const parts: ConstraintPart[] = []
  for (const written of constraint.split(',')) {
    const match = constraintPart.exec(written)
    if (!match) return undefined
    const segments = match.slice(2).filter((segment) => segment !== undefined).map(Number)
    if (!segments.every(Number.isSafeInteger)) return undefined
    parts.push({ operator: match[1] ?? '=', segments })
  }
  return parts
}

/** `segments` as semver writes them: go-version fills the missing ones with zeros. */
function asSemver(segments: number[]): string {
  return [0, 1, 2].map((index) => segments[index] ?? 0).join('.')
}

/** Whether release `version` (x.y.z) meets one part, as go-version checks it. */
function meets(version: string, { operator, segments }: ConstraintPart): boolean {
  const order = compare(version, asSemver(segments))
  switch (operator) {
    case '=':
      return order === 0
    case '!=':
      return order !== 0
    case '>':
      return order > 0
    case '<':
      return order < 0
    case '>=':
      return order >= 0
    case '<=':
      return order <= 0
    default: {
      // `~> 1.10` is 1.10 or later within 1.x; `~> 1.10.2` is 1.10.2 or later within 1.10.
      const given = version.split('.').map(Number)
      return order >= 0 && segments.slice(0, -1).every((segment, index) => given[index] === segment)
    }
  }
}

/** Whether release `version` meets `constraint`; undefined when the constraint is not read (readConstraint). */
function meetsConstraint(version: string, constraint: string): boolean | undefined {
  const parts = readConstraint(constraint)
  return parts && parts.every((part) => meets(version, part))
}

/**
 * Whether release `version` meets a template's `packer { required_version }`; undefined where
 * Packer decides: a pre-release, a Packer that does not check it, a constraint not read.
 */
export function meetsRequiredVersion(version: string, constraint: string): boolean | undefined {
  if (prerelease(version) !== null || lt(version, requiredVersionSince)) return undefined
  return meetsConstraint(version, constraint)
}

/** `min_packer_version`: a version, which Packer compares with its own; one it cannot read, it says so itself. */
export function meetsMinimum(version: string, minimum: string): boolean | undefined {
  if (prerelease(version) !== null || !/^v?\d+(\.\d+){0,2}$/.test(minimum)) return undefined
  return meetsConstraint(version, `>= ${minimum}`)
}
