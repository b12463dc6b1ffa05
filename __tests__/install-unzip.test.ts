// The built-in zip reader used when a runner has no `unzip`.
import { afterAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { extractZipArchive } from '../src/install/unzip.js'
import { writeZip, type ZipEntry } from '../test-support/releases-mirror/zip.js'

const root = mkdtempSync(join(tmpdir(), 'unzip-test-'))
let count = 0

afterAll(() => rmSync(root, { recursive: true, force: true }))

function zipFile(content: Buffer | ZipEntry[]): string {
  const path = join(root, `archive-${++count}.zip`)
  writeFileSync(path, Buffer.isBuffer(content) ? content : writeZip(content))
  return path
}

const destination = () => join(root, `out-${++count}`)

describe('extractZipArchive', () => {
  it('extracts deflated and stored entries and keeps the executable bit', async () => {
    const out = destination()
    await extractZipArchive(
      zipFile([
        { name: 'packer', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
        { name: 'docs/', content: '' },
        { name: 'docs/LICENSE.txt', content: 'licence', store: true }
      ]),
      out,
      'packer.zip'
    )

    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe('#!/bin/sh\necho hi\n')
    expect(statSync(join(out, 'packer')).mode & 0o777).toBe(0o755)
    expect(readFileSync(join(out, 'docs', 'LICENSE.txt'), 'utf8')).toBe('licence')
  })

  it('reads a zip made by the zip program, when there is one', async () => {
    if (!existsSync('/usr/bin/zip')) return
    const source = mkdtempSync(join(root, 'source-'))
    writeFileSync(join(source, 'packer'), 'x'.repeat(10_000), { mode: 0o755 })
    const archive = join(root, 'from-zip-program.zip')
    execFileSync('/usr/bin/zip', ['-q', '-j', archive, join(source, 'packer')])
    const out = destination()

    await extractZipArchive(archive, out, 'from-zip-program.zip')

    expect(readFileSync(join(out, 'packer'), 'utf8')).toBe('x'.repeat(10_000))
    expect(statSync(join(out, 'packer')).mode & 0o111).not.toBe(0)
  })

  it.each(['../evil', '/etc/evil', 'a/../../evil', 'C:\\evil'])(
    'refuses an entry named %p that would land outside the destination',
    async (name) => {
      await expect(
        extractZipArchive(zipFile([{ name, content: 'x' }]), destination(), 'bad.zip')
      ).rejects.toThrow(`bad.zip holds an entry outside its own folder: "${name}"`)
    }
  )

  it('refuses an entry whose content fails its CRC', async () => {
    const zip = writeZip([{ name: 'packer', content: 'hello', store: true }])
    zip.write('jello', 30 + 'packer'.length)

    await expect(extractZipArchive(zipFile(zip), destination(), 'packer.zip')).rejects.toThrow(
      'packer.zip is not a readable zip archive: entry "packer" fails its CRC check'
    )
  })

  it('says when a file is not a zip at all', async () => {
    await expect(
      extractZipArchive(zipFile(Buffer.from('<html>oops</html>')), destination(), 'packer.zip')
    ).rejects.toThrow('packer.zip is not a readable zip archive: no end-of-central-directory record')
  })
})
