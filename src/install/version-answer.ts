// Reading what `packer version` answered, and the answers remembered in the tool cache. Loaded
// while Packer answers (src/install/on-path.ts starts it first): semver is not needed sooner.
import * as semver from 'semver'

/**
 * Reads the version from `packer version` output: `…,,version,1.6.6` lines in machine-readable
 * mode, `Packer v1.6.6` in plain mode.
 */
export function parsePackerVersion(output: string): string | undefined {
  for (const line of output.split(/\r?\n/)) {
    const fields = line.trim().split(',')
    if (fields.length >= 4 && fields[2] === 'version') {
      const version = semver.valid(semver.clean(fields[3]))
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
