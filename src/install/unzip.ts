import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import { unzipSync, type Unzipped } from 'fflate'

function safeEntryPath(destination: string, name: string, zipName: string): string {
  const parts = name.split(/[\\/]/)
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw new Error(`${zipName} holds an entry outside its own folder: "${name}"`)
  }
  const target = resolve(destination, ...parts.filter((part) => part !== '' && part !== '.'))
  if (target !== destination && !target.startsWith(destination + sep)) {
    throw new Error(`${zipName} holds an entry outside its own folder: "${name}"`)
  }
  return target
}

/**
 * Extracts a release zip into `destination` and returns `destination`.
 *
 * The same in-process extractor runs on every OS, rather than the toolkit's `unzip` or
 * PowerShell, so no runner can differ in what it accepts. The zip has already passed its
 * SHA-256 check against the signed sums, which is why reading it whole into memory is safe
 * (about 35 MB in, 100 MB out for a release) and why fflate not checking CRC-32s loses
 * nothing. Zip permissions are not carried over: the caller marks packer executable. Links
 * come out as plain files holding the link text, never as links.
 */
export async function extractReleaseZip(zipPath: string, destination: string, zipName: string) {
  const zip = await readFile(zipPath)
  const root = resolve(destination)
  const sizes = new Map<string, number>()
  let files: Unzipped
  try {
    files = unzipSync(zip, {
      filter: (entry) => {
        sizes.set(entry.name, entry.originalSize)
        return true
      }
    })
  } catch (error) {
    throw new Error(`${zipName} is not a readable zip archive: ${(error as Error).message}`, {
      cause: error
    })
  }

  // Every name is checked before anything is written, so a bad zip leaves nothing behind.
  const entries = Object.entries(files).map(([name, content]) => {
    if (content.length !== sizes.get(name)) {
      throw new Error(`${zipName} is not a readable zip archive: entry "${name}" is cut short`)
    }
    return { name, content, target: safeEntryPath(root, name, zipName) }
  })
  await mkdir(root, { recursive: true })
  for (const { name, content, target } of entries) {
    if (name.endsWith('/') || name.endsWith('\\')) {
      await mkdir(target, { recursive: true })
    } else {
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, content)
    }
  }
  return destination
}
