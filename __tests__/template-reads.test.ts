// An HCL2 template's files are read from disk and parsed once per job: the input checks and the
// template's read (hcl.ts) share what either has read, and the template's read carries the
// `required_version` the install stage checks once latest resolves. The fingerprint hashes the
// template's files from the bytes the input checks read, not from the disk again; so are Packer's
// problems placed in them, each file parsed once for all of them. A JSON template's variables files
// are read once too: the fingerprint and the placing of Packer's problems take them from the checks.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs'
import * as fsPromises from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Parser } from 'web-tree-sitter'
import { actionDefaults } from './support/action-process.js'

/** `read`, counting in `counts` how often it is called for each path. */
function counting<T>(read: T, counts: Map<string, number>): T {
  const call = read as unknown as (...args: unknown[]) => unknown
  const counted = (path: unknown, ...rest: unknown[]) => {
    counts.set(String(path), (counts.get(String(path)) ?? 0) + 1)
    return call(path, ...rest)
  }
  return counted as unknown as T
}
/** How often each file was read with readFileSync. */
const reads = new Map<string, number>()
const countingReadFileSync = counting(fs.readFileSync, reads)
jest.unstable_mockModule('node:fs', () => ({ ...fs, default: { ...fs, readFileSync: countingReadFileSync }, readFileSync: countingReadFileSync }))
/** How often each file was opened with fs/promises' open (the fingerprint's reads), and read with its readFile. */
const opens = new Map<string, number>()
const countingOpen = counting(fsPromises.open, opens)
const laterReads = new Map<string, number>()
const countingReadFile = counting(fsPromises.readFile, laterReads)
jest.unstable_mockModule('node:fs/promises', () => ({
  ...fsPromises,
  default: { ...fsPromises, open: countingOpen, readFile: countingReadFile },
  open: countingOpen,
  readFile: countingReadFile
}))
const { readInputs } = await import('../src/inputs/index.js')
const { readHclTemplate, withHclTemplate } = await import('../src/inputs/hcl.js')
const { computeFingerprint } = await import('../src/inputs/fingerprint.js')
const { demandsNotMet } = await import('../src/inputs/required-version.js')
const { reportPackerRun } = await import('../src/report/packer-errors.js')

const defaults = actionDefaults()
let workspace: string
let parses: ReturnType<typeof jest.spyOn>
beforeEach(() => {
  workspace = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'template-reads-')))
  reads.clear()
  opens.clear()
  laterReads.clear()
  parses = jest.spyOn(Parser.prototype, 'parse')
})
afterEach(() => {
  parses.mockRestore()
  fs.rmSync(workspace, { recursive: true, force: true })
})

const template = (constraint: string): string =>
  `packer {\n  required_version = "${constraint}"\n}\n\nsource "null" "x" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.null.x"]\n}\n`

/** The inputs as the job checks them, then the template as the job reads it. */
async function job(inputs: Record<string, string>) {
  const all: Record<string, string> = { ...defaults, template: 'ami.pkr.hcl', ...inputs }
  const checked = await readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace })
  return { checked, template: await readHclTemplate(checked, {}) }
}

/** The inputs as the job checks them, with a JSON template, ami.json, among `files`, written first. */
async function checkedJson(files: Record<string, string | Buffer>, inputs: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(join(workspace, name), content)
  const all: Record<string, string> = { ...defaults, template: 'ami.json', 'packer-version': '1.6.6', ...inputs }
  return readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace })
}

describe("an HCL2 template's files, read once per job", () => {
  it('reads and parses a file whose required_version the release named meets once, checks and template read together', async () => {
    fs.writeFileSync(join(workspace, 'ami.pkr.hcl'), template('>= 1.6.0'))
    const { template: read } = await job({ 'packer-version': '1.6.6' })
    expect(read.buildNames).toEqual(['null.x'])
    expect(reads.get(join(workspace, 'ami.pkr.hcl'))).toBe(1)
    expect(parses).toHaveBeenCalledTimes(1)
  })

  it('reads once a file whose required_version latest excludes, and refuses it at its line from that read', async () => {
    fs.writeFileSync(join(workspace, 'ami.pkr.hcl'), template('< 1.9.0'))
    const { checked, template: read } = await job({ 'packer-version': 'latest' })
    const problems = await demandsNotMet(read.versionDemands ?? [], { version: '1.11.2', request: checked.packerVersion })
    expect(problems).toEqual([
      {
        message:
          'packer-version: expected a Packer that meets "< 1.9.0", as required_version in ami.pkr.hcl asks, found "latest", which resolves to 1.11.2: Packer 1.11.2 refuses the template',
        location: { file: 'ami.pkr.hcl', line: 2, column: 3 }
      }
    ])
    expect(reads.get(join(workspace, 'ami.pkr.hcl'))).toBe(1)
    expect(parses).toHaveBeenCalledTimes(1)
  })

  it('reads each file of a directory once, a .pkr.json one with its required_version where the checks found it', async () => {
    fs.mkdirSync(join(workspace, 'images'))
    fs.writeFileSync(join(workspace, 'images/build.pkr.hcl'), template('>= 1.6.0'))
    fs.writeFileSync(join(workspace, 'images/versions.pkr.json'), '{\n  "packer": {\n    "required_version": "~> 1.11.0"\n  }\n}\n')
    const { template: read } = await job({ template: 'images', 'packer-version': '>=1.6' })
    expect(read.versionDemands?.map(({ constraint, location }) => [constraint, location.file])).toEqual([
      ['>= 1.6.0', 'images/build.pkr.hcl'],
      ['~> 1.11.0', 'images/versions.pkr.json']
    ])
    expect(reads.get(join(workspace, 'images/build.pkr.hcl'))).toBe(1)
    expect(reads.get(join(workspace, 'images/versions.pkr.json'))).toBe(1)
    expect(parses).toHaveBeenCalledTimes(1)
  })
})

describe("the template's files, hashed for the fingerprint as the input checks read them", () => {
  /** Bytes that are not UTF-8 (a Latin-1 é): text decoded and encoded again would not be the same bytes. */
  const latin1 = (before: string, after: string) => Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from(after)])

  const builders = '"builders": [{ "type": "null", "name": "web", "communicator": "none" }]'
  const cases: Array<{ what: string; files: Record<string, string | Buffer>; inputs: Record<string, string>; counted: string; hashed: number }> = [
    {
      what: 'the template is read once',
      files: { 'ami.json': latin1('{\n  "description": "caf', `",\n  ${builders}\n}\n`) },
      inputs: {},
      counted: 'ami.json',
      hashed: 1
    },
    {
      what: 'a variables file is read once',
      files: { 'ami.json': `{\n  "variables": { "owner": "" },\n  ${builders}\n}\n`, 'prod.json': latin1('{ "owner": "caf', '" }\n') },
      inputs: { 'var-file': 'prod.json' },
      counted: 'prod.json',
      hashed: 2
    }
  ]
  it.each(cases)('JSON: $what, and the fingerprint is that of its bytes on disk', async ({ files, inputs, counted, hashed }) => {
    const checked = await checkedJson(files, { 'fingerprint-paths': 'ami.json', ...inputs })
    const path = join(workspace, counted)
    const fingerprint = await computeFingerprint(checked, '1.6.6')
    expect(fingerprint.files).toBe(hashed)
    expect(reads.get(path)).toBe(1)
    expect(opens.get(path)).toBeUndefined()
    // The same inputs without what the checks read: the fingerprint reads the file, and comes out the same.
    expect(await computeFingerprint({ ...checked, jsonTemplate: undefined }, '1.6.6')).toEqual(fingerprint)
    expect(opens.get(path)).toBe(1)
  })

  it('HCL2: each file of a directory is read once, and the fingerprint is that of their bytes on disk', async () => {
    fs.mkdirSync(join(workspace, 'images'))
    const files = [join(workspace, 'images/build.pkr.hcl'), join(workspace, 'images/vars.pkr.hcl')]
    fs.writeFileSync(files[0], template('>= 1.6.0'))
    fs.writeFileSync(files[1], latin1('# caf', '\nvariable "region" {\n  default = "us-east-1"\n}\n'))
    const { checked, template: read } = await job({ template: 'images', 'packer-version': '1.6.6', 'fingerprint-paths': 'images/**' })
    const inputs = withHclTemplate(checked, read)
    const fingerprint = await computeFingerprint(inputs, '1.6.6')
    expect(fingerprint.files).toBe(2)
    for (const file of files) {
      expect(reads.get(file)).toBe(1)
      expect(opens.get(file)).toBeUndefined()
    }
    expect(await computeFingerprint({ ...inputs, hclFiles: undefined }, '1.6.6')).toEqual(fingerprint)
    for (const file of files) expect(opens.get(file)).toBe(1)
  })
})

describe("Packer's problems, placed in an HCL2 template's files as the input checks read them", () => {
  const source = 'source "amazon-ebs" "web" {\n  region        = "us-east-1"\n  instance_type = "t3.micro"\n  ami_name      = "x"\n}\n'
  /** Packer 1.6.6's refusal of the source block, which names its first line only. */
  const refused = 'Error: 1 error(s) occurred:\n\n* ami_name must be between 3 and 128 characters long\n\n  on a.pkr.hcl line 1:\n  (source code not available)\n'
  const failedRun = (errors: string[]) =>
    ({ exitCode: 1, cancelled: false, record: { notices: [], warnings: [], errors, scriptsBegun: () => 0 } }) as unknown as Parameters<typeof reportPackerRun>[0]

  it('reads no file again, and each file it had not read once for all the looks at it', async () => {
    fs.writeFileSync(join(workspace, 'a.pkr.hcl'), source)
    fs.writeFileSync(join(workspace, 'b.pkr.hcl'), 'build {\n  sources = ["source.amazon-ebs.web"]\n}\n')
    const { checked } = await job({ template: '.', 'packer-version': '1.6.6' })
    const context = { workingDirectory: workspace, template: '.', workspace, templateKind: 'hcl' as const }
    const placed = { level: 'error', message: 'ami_name must be between 3 and 128 characters long', title: 'Packer', file: 'a.pkr.hcl', line: 4, column: 3 }
    const files = [join(workspace, 'a.pkr.hcl'), join(workspace, 'b.pkr.hcl')]
    reads.clear()

    expect(await reportPackerRun(failedRun([refused]), { ...context, hclFiles: checked.hclFiles })).toEqual([placed])
    for (const file of files) expect([reads.get(file), laterReads.get(file)]).toEqual([undefined, undefined])
    // Without what the inputs read: each file read once, though the problem is looked for in them several times.
    expect(await reportPackerRun(failedRun([refused]), context)).toEqual([placed])
    for (const file of files) expect(laterReads.get(file)).toBe(1)
  })
})

describe("Packer's problems, placed in a JSON template's variables files as the input checks read them", () => {
  it('reads the variables file no more, and places the problem where it sets the variable as when it reads it', async () => {
    const checked = await checkedJson(
      {
        'ami.json': '{\n  "variables": { "owner": "" },\n  "builders": [{ "type": "null", "name": "web", "communicator": "none" }]\n}\n',
        'prod.json': '{\n  "owner": "{{ vault `secret/ci` `token` }}"\n}\n'
      },
      { 'var-file': 'prod.json' }
    )
    const varPath = join(workspace, 'prod.json')
    const failed = 'Failed to interpolate "owner": template: root:1:3: executing "root" at <vault `secret/ci` `token`>: error calling vault: no VAULT_ADDR'
    const failedRun = { exitCode: 1, cancelled: false, record: { notices: [], warnings: [], errors: [failed], scriptsBegun: () => 0 } } as unknown as Parameters<typeof reportPackerRun>[0]
    reads.clear()

    const placed = await reportPackerRun(failedRun, checked)
    expect(placed).toEqual([expect.objectContaining({ level: 'error', file: 'prod.json', line: 2 })])
    expect([reads.get(varPath), laterReads.get(varPath)]).toEqual([undefined, undefined])
    // Without what the inputs read: the file is read, and the problem placed the same.
    const jsonTemplate = checked.jsonTemplate && { ...checked.jsonTemplate, varFiles: undefined }
    expect(await reportPackerRun(failedRun, { ...checked, jsonTemplate })).toEqual(placed)
    expect(laterReads.get(varPath)).toBe(1)
  })
})
