// Release-like zips for tests, so they need no `zip` program: deflated (or stored) entries with
// Unix permissions, the way HashiCorp's release zips carry the packer executable.
import { zipSync, type Zippable } from 'fflate'

export interface ZipEntry {
  name: string
  content: Buffer | string
  /** Unix permissions, e.g. 0o755 */
  mode?: number
  store?: boolean
}

const MADE_BY_UNIX = 3
const MSDOS_DIRECTORY = 0x10
// A fixed time keeps a mirror's zips, and so their SHA-256 sums, the same from run to run.
const MTIME = new Date(2024, 0, 1)

export function writeZip(entries: ZipEntry[]): Buffer {
  const files: Zippable = {}
  for (const entry of entries) {
    const isDirectory = entry.name.endsWith('/')
    const fileType = isDirectory ? 0o040000 : 0o100000
    const mode = fileType | (entry.mode ?? (isDirectory ? 0o755 : 0o644))
    const attrs = (mode << 16) | (isDirectory ? MSDOS_DIRECTORY : 0)
    const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : entry.content
    files[entry.name] = [
      content,
      { level: entry.store || isDirectory ? 0 : 6, os: MADE_BY_UNIX, attrs, mtime: MTIME }
    ]
  }
  return Buffer.from(zipSync(files))
}
