// Reading what `packer version` answered, and the answers remembered in the tool cache. Loaded
// while Packer answers (src/install/on-path.ts starts it first): semver is not needed sooner.
import * as semver from 'semver'

/**
 * Reads the version from `packer version` output: `…,,version,1.6.6` lines in machine-readable
 * mode, with the pre-release of a development build on a line of its own
 * (`…,,version-prelease,dev`: 1.6.6-dev), and `Packer v1.6.6` in plain mode.
 */
export function parsePackerVersion(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((line) => line.trim().split(','))
  const prerelease = lines.find((fields) => fields.length >= 4 && fields[2] === 'version-prelease')?.[3] ?? ''
  for (const fields of lines) {
    if (fields.length >= 4 && fields[2] === 'version') {
      const version = semver.valid(semver.clean(prerelease === '' ? fields[3] : `${fields[3]}-${prerelease}`))
      if (version) return version
    }
  }
  const plain = /^Packer v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)/m.exec(output)
  return plain ? (semver.valid(plain[1]) ?? undefined) : undefined
}

export interface RememberedVersion {
  /** The executable's path, size and modification time: a changed binary is asked again. */
  binary: string
  version: string
}

/** The well-formed entries of the remembered answers, as read from their file. */
export function rememberedVersions(read: unknown): RememberedVersion[] {
  return Array.isArray(read)
    ? read.filter(
        (entry): entry is RememberedVersion =>
          typeof entry?.binary === 'string' && typeof entry?.version === 'string' && semver.valid(entry.version) !== null
      )
    : []
}
