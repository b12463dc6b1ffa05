// What input packer-version asks for, told without semver: the input checks load semver only
// for a request other than latest or a plain version (src/inputs/packer-version.ts).

export type VersionRequest =
  | { kind: 'latest' }
  | { kind: 'exact'; version: string }
  | { kind: 'range'; range: string }

/** The default, and what an empty input means. */
export function asksForLatest(spec: string): boolean {
  const trimmed = spec.trim()
  return trimmed === '' || trimmed.toLowerCase() === 'latest'
}

/**
 * The oldest Packer the action supports: HCL2 templates and the machine-readable output the
 * action reads both came with 1.5.
 */
export const oldestPacker = '1.5.0'

/**
 * A release written plainly (`1.11.2`, `v1.11.2`): numbers without leading zeros, of at most 15
 * digits (safe integers, as semver requires). semver reads every such string as the same
 * version; anything else is left to it.
 */
const plainVersion = /^v?(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/

/**
 * `spec` read as a plain release, as semver's valid(clean(spec)) reads it, and whether it comes
 * before the oldest supported Packer; undefined for anything else, which semver reads.
 */
export function readPlainVersion(spec: string): { version: string; tooOld: boolean } | undefined {
  const match = plainVersion.exec(spec.trim())
  if (!match) return undefined
  const given = match.slice(1).map(Number)
  const oldest = oldestPacker.split('.').map(Number)
  const order = given.map((part, index) => part - (oldest[index] ?? 0)).find((difference) => difference !== 0) ?? 0
  return { version: given.join('.'), tooOld: order < 0 }
}

/** The problem with a request (`spec` as written) that only Packers older than the oldest supported satisfy. */
export function tooOld(spec: string): string {
  const mangled = /^\d+\.\d$/.test(spec)
    ? ` If you wrote ${spec}0 without quotes, YAML read it as the number ${spec}: write '${spec}0'.`
    : ''
  return `packer-version: "${spec}" asks for a Packer older than ${oldestPacker}, the oldest this action supports.${mangled}`
}

export function describeRequest(request: VersionRequest): string {
  switch (request.kind) {
    case 'latest':
      return 'latest'
    case 'exact':
      return request.version
    case 'range':
      return request.range
  }
}
