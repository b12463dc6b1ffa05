// Extracting release zips in-process, the same way on every runner.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { extractReleaseZip } from '../src/install/unzip.js'
import { writeZip, type ZipEntry } from '../test-support/releases-mirror/zip.js'

const ZIP_PROGRAM = '/usr/bin/zip'
const root = mkdtempSync(join(tmpdir(), 'unzip-test-'))
let count = 0

afterAll(() => rmSync(root, { recursive: true, force: true }))

function zipFile(content: Buffer | ZipEntry[]): string {
  const path = join(root, `archive-${++count}.zip`)
  writeFileSync(path, Buffer.isBuffer(content) ? content : writeZip(content))
  return path
}

const destination = () => join(root, `out-${++count}`)

// Big enough that deflate makes a real stream, not a few literal bytes.
const script = Array.from({ length: 2000 }, (_, i) => `echo "line ${i} of packer"\n`).join('')

// writeZip puts each entry's central directory record in the last 22 + 46 + name bytes.
function centralRecord(zip: Buffer, name: string): number {
  return zip.length - 22 - 46 - Buffer.byteLength(name)
}

describe('extractReleaseZip', () => {
  it('extracts deflated and stored entries and folders, and returns the destination', async () => {
    const out = destination()

    const extracted = await extractReleaseZip(
      zipFile([
        { name: 'packer', content: script, mode: 0o755 },
        { name: 'docs/', content: '' },
        { name: 'docs/LICENSE.txt', content: 'licence', store: true },
        { name: 'empty/', content: '' }
      ]),
      out,
      'packer.zip'
    )

    expect(extracted).toBe(out)
    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe(script)
    expect(readFileSync(join(out, 'docs', 'LICENSE.txt'), 'utf8')).toBe('licence')
    expect(lstatSync(join(out, 'empty')).isDirectory()).toBe(true)
  })

  it('refuses an entry the extractor cannot decompress, naming the zip', async () => {
    const zip = writeZip([{ name: 'packer', content: script }])
    zip.writeUInt16LE(14, centralRecord(zip, 'packer') + 10) // LZMA

    await expect(extractReleaseZip(zipFile(zip), destination(), 'packer.zip')).rejects.toThrow(
      'packer.zip is not a readable zip archive: unknown compression type 14'
    )
  })

  it.each(['../evil', '/etc/evil', 'a/../../evil', 'C:\\evil', 'a\\..\\..\\evil'])(
    'refuses an entry named %p that would land outside the destination, writing nothing',
    async (name) => {
      const out = destination()
      const zip = zipFile([
        { name: 'packer', content: 'x' },
        { name, content: 'x' }
      ])

      await expect(extractReleaseZip(zip, out, 'bad.zip')).rejects.toThrow(
        `bad.zip holds an entry outside its own folder: "${name}"`
      )
      expect(existsSync(out)).toBe(false)
    }
  )
})

describe('extractReleaseZip on a damaged zip', () => {
  it('names the file when it is not a zip at all', async () => {
    await expect(
      extractReleaseZip(zipFile(Buffer.from('<html>oops</html>')), destination(), 'packer.zip')
    ).rejects.toThrow('packer.zip is not a readable zip archive: invalid zip data')
  })

  it('names the file when its end is missing', async () => {
    const zip = writeZip([{ name: 'packer', content: script }])

    await expect(
      extractReleaseZip(zipFile(zip.subarray(0, zip.length - 30)), destination(), 'packer.zip')
    ).rejects.toThrow('packer.zip is not a readable zip archive: invalid zip data')
  })

  it('names the file when deflated data is garbled', async () => {
    const zip = writeZip([{ name: 'packer', content: script }])
    zip.fill(0xa5, 30 + 'packer'.length + 10, 30 + 'packer'.length + 40)

    await expect(extractReleaseZip(zipFile(zip), destination(), 'packer.zip')).rejects.toThrow(
      /^packer\.zip is not a readable zip archive: /
    )
  })

  it('names the entry whose data is shorter than its recorded size', async () => {
    const zip = writeZip([{ name: 'packer', content: 'hello', store: true }])
    const record = centralRecord(zip, 'packer')
    zip.writeUInt32LE(500, record + 20)
    zip.writeUInt32LE(500, record + 24)

    await expect(extractReleaseZip(zipFile(zip), destination(), 'packer.zip')).rejects.toThrow(
      'packer.zip is not a readable zip archive: entry "packer" is cut short'
    )
  })
})

const withZipProgram = existsSync(ZIP_PROGRAM) ? describe : describe.skip

withZipProgram(`extractReleaseZip reading zips made by ${ZIP_PROGRAM}`, () => {
  const source = join(root, 'source')

  beforeAll(() => {
    mkdirSync(join(source, 'docs'), { recursive: true })
    writeFileSync(join(source, 'packer'), script, { mode: 0o755 })
    writeFileSync(join(source, 'docs', 'LICENSE.txt'), 'licence')
  })

  it('reads files and folders', async () => {
    const archive = join(root, 'from-zip-program.zip')
    execFileSync(ZIP_PROGRAM, ['-q', '-r', archive, 'packer', 'docs'], { cwd: source })
    const out = destination()

    await extractReleaseZip(archive, out, 'from-zip-program.zip')

    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe(script)
    expect(readFileSync(join(out, 'docs', 'LICENSE.txt'), 'utf8')).toBe('licence')
  })

  it('reads a zip written to a pipe, whose sizes follow the data', async () => {
    const archive = zipFile(execFileSync(ZIP_PROGRAM, ['-q', '-', 'packer'], { cwd: source }))
    const out = destination()

    await extractReleaseZip(archive, out, 'piped.zip')

    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe(script)
  })

  it('writes a stored link as a plain file, so it cannot point outside', async () => {
    const links = mkdtempSync(join(root, 'links-'))
    symlinkSync('/etc/passwd', join(links, 'packer'))
    const archive = join(root, 'with-link.zip')
    execFileSync(ZIP_PROGRAM, ['-q', '-y', archive, 'packer'], { cwd: links })
    const out = destination()

    await extractReleaseZip(archive, out, 'with-link.zip')

    expect(lstatSync(join(out, 'packer')).isFile()).toBe(true)
    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe('/etc/passwd')
  })
})
