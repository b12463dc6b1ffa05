import * as core from '@actions/core'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, resolve, sep } from 'node:path'
import * as zlib from 'node:zlib'

const END_OF_CENTRAL_DIRECTORY = 0x06054b50
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50
const LOCAL_FILE_HEADER = 0x04034b50
const MADE_BY_UNIX = 3
const FILE_TYPE_MASK = 0o170000
const REGULAR_FILE = 0o100000
const DIRECTORY = 0o040000

function findEndOfCentralDirectory(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - 22 - 0xffff)
  for (let offset = zip.length - 22; offset >= earliest; offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset
  }
  return -1
}

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
 * Extracts a zip archive with Node alone: enough for HashiCorp's release zips (stored or
 * deflated entries, no ZIP64, no encryption), for runners that have no `unzip`.
 */
export async function extractZipArchive(zipPath: string, destination: string, zipName: string) {
  const zip = await readFile(zipPath)
  const damaged = (what: string) => new Error(`${zipName} is not a readable zip archive: ${what}`)
  const end = findEndOfCentralDirectory(zip)
  if (end < 0) throw damaged('no end-of-central-directory record')
  const entryCount = zip.readUInt16LE(end + 10)
  const directoryOffset = zip.readUInt32LE(end + 16)
  if (entryCount === 0xffff || directoryOffset === 0xffffffff) {
    throw damaged('ZIP64 archives are not supported')
  }
  const root = resolve(destination)
  await mkdir(root, { recursive: true })
  let offset = directoryOffset
  for (let index = 0; index < entryCount; index++) {
    if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) {
      throw damaged(`central directory entry ${index + 1} is missing`)
    }
    const madeBy = zip.readUInt16LE(offset + 4) >> 8
    const flags = zip.readUInt16LE(offset + 8)
    const method = zip.readUInt16LE(offset + 10)
    const crc = zip.readUInt32LE(offset + 16)
    const compressedSize = zip.readUInt32LE(offset + 20)
    const size = zip.readUInt32LE(offset + 24)
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    const unixMode = madeBy === MADE_BY_UNIX ? zip.readUInt32LE(offset + 38) >>> 16 : 0
    const headerOffset = zip.readUInt32LE(offset + 42)
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength)
    offset += 46 + nameLength + extraLength + commentLength

    const target = safeEntryPath(root, name, zipName)
    const fileType = unixMode & FILE_TYPE_MASK
    if (name.endsWith('/') || fileType === DIRECTORY) {
      await mkdir(target, { recursive: true })
      continue
    }
    if (fileType !== 0 && fileType !== REGULAR_FILE) {
      throw damaged(`entry "${name}" is a link or special file`)
    }
    if (flags & 0x1) throw damaged(`entry "${name}" is encrypted`)
    if (zip.readUInt32LE(headerOffset) !== LOCAL_FILE_HEADER) {
      throw damaged(`entry "${name}" has no local header`)
    }
    const dataStart =
      headerOffset + 30 + zip.readUInt16LE(headerOffset + 26) + zip.readUInt16LE(headerOffset + 28)
    const data = zip.subarray(dataStart, dataStart + compressedSize)
    if (data.length !== compressedSize) throw damaged(`entry "${name}" is cut short`)
    let content: Buffer
    if (method === 0) content = data
    else if (method === 8) content = zlib.inflateRawSync(data)
    else throw damaged(`entry "${name}" uses compression method ${method}`)
    if (content.length !== size) throw damaged(`entry "${name}" has the wrong size`)
    if (typeof zlib.crc32 === 'function' && zlib.crc32(content) >>> 0 !== crc) {
      throw damaged(`entry "${name}" fails its CRC check`)
    }
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
    const permissions = unixMode & 0o777
    if (permissions) await chmod(target, permissions)
  }
}

/**
 * Extracts the release zip with the toolkit's extractor when it can run here (PowerShell on
 * Windows, `unzip` elsewhere), else with the built-in reader.
 */
export async function extractReleaseZip(zipPath: string, destination: string, zipName: string) {
  const hasExtractor = process.platform === 'win32' || (await io.which('unzip', false)) !== ''
  if (hasExtractor) {
    await tc.extractZip(zipPath, destination)
  } else {
    core.info('No unzip on PATH; extracting with the built-in zip reader')
    await extractZipArchive(zipPath, destination, zipName)
  }
  return destination
}
