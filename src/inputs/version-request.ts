// What input packer-version asks for, told without semver: the input checks load semver only
// for a request other than latest (src/inputs/packer-version.ts).

export type VersionRequest =
  | { kind: 'latest' }
  | { kind: 'exact'; version: string }
  | { kind: 'range'; range: string }

/** The default, and what an empty input means. */
export function asksForLatest(spec: string): boolean {
  const trimmed = spec.trim()
  return trimmed === '' || trimmed.toLowerCase() === 'latest'
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
