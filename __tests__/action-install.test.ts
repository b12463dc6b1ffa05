// The bundled action installing Packer the way a runner without one does: from a releases
// mirror on 127.0.0.1 signed with a key made in this run, into a tool cache that persists
// between runs. The Packer in the mirror's zips is the stand-in, so the job runs on to the end.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as openpgp from 'openpgp'
import { standInExecutable } from '../test-support/packer-stand-in/index.js'
import { startReleasesMirror, type ReleasesMirror } from '../test-support/releases-mirror/index.js'
import { asTheRunnerShowsIt, runAction, type ActionRun } from './support/action-process.js'

const releasedPacker = (version: string): string => standInExecutable(version)

let mirror: ReleasesMirror
let signingKey: string
let workspace: string
let toolCache: string

beforeAll(async () => {
  const key = await openpgp.generateKey({ userIDs: [{ name: 'Mirror', email: 'releases@mirror.test' }], format: 'object' })
  signingKey = key.publicKey.armor()
  mirror = await startReleasesMirror({
    versions: ['1.10.3', '1.11.2', '1.12.0-beta1'],
    signingKey: key.privateKey,
    packerScript: releasedPacker
  })
})
afterAll(() => mirror.close())
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'install-workspace-'))
  toolCache = mkdtempSync(join(tmpdir(), 'tool-cache-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs' }] }))
  mirror.requests.length = 0
})
afterEach(() => {
  rmSync(workspace, { recursive: true, force: true })
  rmSync(toolCache, { recursive: true, force: true })
})

function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    workspace,
    inputs: {
      'packer-version': 'latest',
      'packer-releases-url': mirror.url,
      'packer-signing-key': signingKey,
      command: 'validate',
      ...inputs
    },
    // No packer anywhere on PATH: the one the job runs must be the one it installed.
    env: { PATH: '/nonexistent', RUNNER_TOOL_CACHE: toolCache, ...env }
  })
}

describe('packer-version: latest with no Packer on the runner', () => {
  it('installs the newest release, verified; a second run in the same tool cache makes no request', async () => {
    const first = await run()
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.outputs['packer-version']).toBe('1.11.2')
    expect(mirror.requests).toEqual([
      '/packer/index.json',
      '/packer/1.11.2/packer_1.11.2_SHA256SUMS',
      '/packer/1.11.2/packer_1.11.2_SHA256SUMS.sig',
      '/packer/1.11.2/packer_1.11.2_linux_amd64.zip'
    ])
    expect(first.stdout).toMatch(/packer_1\.11\.2_SHA256SUMS\.sig: good signature by /)
    expect(first.stdout).toContain('packer_1.11.2_linux_amd64.zip: SHA-256 matches packer_1.11.2_SHA256SUMS')
    expect(existsSync(join(toolCache, 'packer', '1.11.2', 'x64', 'packer'))).toBe(true)
    // Packer 1.10 and later bundle no plugins: the JSON template's amazon-ebs needs one.
    expect(first.stdout).toContain('Installed plugin github.com/hashicorp/amazon')

    mirror.requests.length = 0
    const second = await run()
    expect(second.exitCode).toBe(0)
    expect(second.outputs['packer-version']).toBe('1.11.2')
    expect(mirror.requests).toEqual([])
  })

  it('stops before extracting a zip whose hash does not match, naming the file', async () => {
    const zip = '/packer/1.11.2/packer_1.11.2_linux_amd64.zip'
    const genuine = mirror.files.get(zip) as Buffer
    mirror.files.set(zip, Buffer.concat([genuine, Buffer.from('tampered')]))
    try {
      const result = await run()
      expect(result.exitCode).toBe(1)
      expect(result.errors.at(-1)?.message).toMatch(
        /^packer_1\.11\.2_linux_amd64\.zip does not match packer_1\.11\.2_SHA256SUMS: expected SHA-256 [0-9a-f]{64}, found [0-9a-f]{64}/
      )
      expect(existsSync(join(toolCache, 'packer')) ? readdirSync(join(toolCache, 'packer')) : []).toEqual([])
      expect(result.stdout).not.toContain('::group::Validate')
    } finally {
      mirror.files.set(zip, genuine)
    }
  })

  it('refuses a sums file signed by a key it does not trust', async () => {
    const other = await openpgp.generateKey({ userIDs: [{ name: 'Someone else' }], format: 'object' })
    const result = await run({ 'packer-signing-key': other.publicKey.armor() })
    expect(result.exitCode).toBe(1)
    expect(result.errors.at(-1)?.message).toContain('packer_1.11.2_SHA256SUMS.sig')
    expect(mirror.requests).not.toContain('/packer/1.11.2/packer_1.11.2_linux_amd64.zip')
  })

  it("takes a release signed before the key's self-signatures were last renewed, as HashiCorp's pinned key's were", async () => {
    // HashiCorp renews its key's expiry from time to time: the key it publishes then carries only
    // the new self-signatures, made after every release signed before them.
    const made = await openpgp.generateKey({ userIDs: [{ name: 'Renewed', email: 'releases@mirror.test' }], date: new Date('2021-04-19T00:00:00Z'), format: 'object' })
    const renewed = await openpgp.reformatKey({ privateKey: made.privateKey, userIDs: [{ name: 'Renewed', email: 'releases@mirror.test' }], date: new Date('2026-02-18T00:00:00Z'), format: 'object' })
    const older = await startReleasesMirror({ versions: ['1.11.2'], signingKey: made.privateKey, signedAt: new Date('2024-07-10T00:00:00Z'), packerScript: releasedPacker })
    try {
      const result = await run({ 'packer-version': '1.11.2', 'packer-releases-url': older.url, 'packer-signing-key': renewed.publicKey.armor() })
      expect(result.errors).toEqual([])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toMatch(/packer_1\.11\.2_SHA256SUMS\.sig: good signature by /)
      expect(existsSync(join(toolCache, 'packer', '1.11.2', 'x64', 'packer'))).toBe(true)
    } finally {
      await older.close()
    }
  })

  /** A build of the template, for a template that must get past the checks of what it builds. */
  const builds = '\nsource "amazon-ebs" "web" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n'

  it("refuses a template whose required_version the release asked for does not meet, at its line, before any request", async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `packer {\n  required_version = "~> 1.11.0"\n}\n${builds}`)
    const refused = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.10.3' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^packer-version: expected a Packer that meets "~> 1\.11\.0", as required_version in ami\.pkr\.hcl asks, found "1\.10\.3"/),
        properties: expect.objectContaining({ file: 'ami.pkr.hcl', line: '2', col: '3' })
      })
    ])
    expect(mirror.requests).toEqual([])
    expect(readdirSync(toolCache)).toEqual([])
  })

  it('refuses a template whose required_version latest excludes, at its line, once the index is read and before any download', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `packer {\n  required_version = "< 1.9.0"\n}\n${builds}`)
    const refused = await run({ template: 'ami.pkr.hcl' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors[0]).toEqual(
      expect.objectContaining({
        message:
          'packer-version: expected a Packer that meets "< 1.9.0", as required_version in ami.pkr.hcl asks, found "latest", ' +
          'which resolves to 1.11.2: Packer 1.11.2 refuses the template; no release in the index meets it',
        properties: expect.objectContaining({ file: 'ami.pkr.hcl', line: '2', col: '3' })
      })
    )
    expect(refused.errors.at(-1)?.message).toMatch(/^packer-version latest resolves to Packer 1\.11\.2, which the template refuses/)
    expect(mirror.requests).toEqual(['/packer/index.json'])
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
    expect(refused.stdout).not.toContain('::group::Plugins')
  })

  it('refuses an HCL2 error-cleanup-provisioner that needs a communicator the build lacks once latest resolves to a Packer that runs it, before any download', async () => {
    const template =
      'source "amazon-ebs" "web" {\n  communicator = "none"\n}\n\nbuild {\n  sources = ["source.amazon-ebs.web"]\n\n' +
      '  error-cleanup-provisioner "file" {\n    source      = "a"\n    destination = "/tmp/a"\n  }\n}\n'
    writeFileSync(join(workspace, 'ami.pkr.hcl'), template)
    const refused = await run({ template: 'ami.pkr.hcl' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^error-cleanup-provisioner "file" runs on the instance through a communicator, and its build connects none \(amazon-ebs\.web has communicator = "none"\)/),
        properties: expect.objectContaining({ file: 'ami.pkr.hcl', line: '8', col: '3' })
      }),
      expect.objectContaining({ message: expect.stringMatching(/^Packer would start the build for provisioners or post-processors that cannot work on a runner/) })
    ])
    expect(mirror.requests).toEqual(['/packer/index.json'])
    expect(existsSync(join(toolCache, 'packer'))).toBe(false)
  })

  it("refuses a JSON template's min_packer_version above the release a range resolves to, naming one that meets it", async () => {
    writeFileSync(join(workspace, 'packer-template.json'), '{\n  "min_packer_version": "1.11.0",\n  "builders": [{"type": "amazon-ebs"}]\n}\n')
    const refused = await run({ 'packer-version': '~1.10' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors[0]).toEqual(
      expect.objectContaining({
        message:
          'packer-version: expected Packer 1.11.0 or later, as min_packer_version in packer-template.json asks, found "~1.10", ' +
          'which resolves to 1.10.3: Packer 1.10.3 refuses the template; Packer 1.11.2 meets it',
        properties: expect.objectContaining({ file: 'packer-template.json', line: '2', col: '3' })
      })
    )
    expect(mirror.requests).toEqual(['/packer/index.json'])
    expect(readdirSync(toolCache)).toEqual([])
  })

  it('refuses the Packer a range finds in the tool cache before it is used, with no request', async () => {
    expect((await run()).exitCode).toBe(0)
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `packer {\n  required_version = "~> 1.10.0"\n}\n${builds}`)
    mirror.requests.length = 0
    const refused = await run({ template: 'ami.pkr.hcl', 'packer-version': '>=1.10' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors[0]).toEqual(
      expect.objectContaining({
        message:
          'packer-version: expected a Packer that meets "~> 1.10.0", as required_version in ami.pkr.hcl asks, found ">=1.10", ' +
          'which resolves to 1.11.2: Packer 1.11.2 refuses the template',
        properties: expect.objectContaining({ file: 'ami.pkr.hcl', line: '2', col: '3' })
      })
    )
    expect(refused.stdout).not.toContain('Using Packer 1.11.2 from the tool cache')
    expect(mirror.requests).toEqual([])
  }, 60_000)

  it('refuses a variable that the HCL2 template does not declare before any request', async () => {
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `variable "region" {\n  type = string\n}\n${builds}`)
    const refused = await run({ template: 'ami.pkr.hcl', 'packer-version': '1.10.3', variables: 'regoin=us-east-1' })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^variables: "regoin" is not a variable of ami\.pkr\.hcl \(did you mean "region"\?\): expected one it declares \(region\)/)
    ])
    expect(mirror.requests).toEqual([])
  })

  it('takes a range and says when no release matches', async () => {
    expect((await run({ 'packer-version': '~1.10' })).outputs['packer-version']).toBe('1.10.3')
    const none = await run({ 'packer-version': '>=2' })
    expect(none.exitCode).toBe(1)
    expect(none.errors.at(-1)?.message).toMatch(/>=2/)
  })

  it("masks the password of a mirror's URL in every line that names it, a download's and a failed one's", async () => {
    const withCredentials = (url: string, password: string): string => url.replace('://', `://ci:${password}@`)
    // Percent-encoded, as a URL has it.
    const installed = await run({ 'packer-releases-url': withCredentials(mirror.url, 'M1rr0r%2FPa55') })
    expect(installed.exitCode).toBe(0)
    expect(installed.stdout).toContain(`from ${withCredentials(mirror.url, 'M1rr0r%2FPa55')}/packer/1.11.2`)
    const shown = asTheRunnerShowsIt(installed).log
    expect(shown).toContain('from http://ci:***@127.0.0.1')
    expect(shown).not.toContain('Pa55')

    // Nothing listens on port 1: the failure names the URL.
    // (Without a %, which an annotation's text escapes: the runner masks the text unescaped.)
    const unreachable = await run({ 'packer-releases-url': withCredentials('http://127.0.0.1:1', 'M1rr0rPa55') })
    expect(unreachable.exitCode).toBe(1)
    expect(unreachable.errors.at(-1)?.message).toContain('http://ci:M1rr0rPa55@127.0.0.1:1/packer/index.json')
    expect(asTheRunnerShowsIt(unreachable).log).not.toContain('Pa55')
  }, 60_000)
})

describe('packer-releases-url: a mirror behind basic auth', () => {
  // Percent-encoded in the URL, as a password with a / must be; sent decoded.
  const user = 'ci'
  const password = 'M1rr0r/Pa55'
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const sums = '/packer/1.11.2/packer_1.11.2_SHA256SUMS'
  const zip = '/packer/1.11.2/packer_1.11.2_linux_amd64.zip'
  let locked: ReleasesMirror
  let lockedKey: string

  beforeAll(async () => {
    const key = await openpgp.generateKey({ userIDs: [{ name: 'Locked mirror' }], format: 'object' })
    lockedKey = key.publicKey.armor()
    locked = await startReleasesMirror({
      versions: ['1.11.2'],
      signingKey: key.privateKey,
      packerScript: releasedPacker,
      basicAuth: { user, password },
      // The sums move within the mirror; the zip goes to a CDN, another origin.
      redirects: { [sums]: 'here', [zip]: 'elsewhere' }
    })
  })
  afterAll(() => locked.close())
  beforeEach(() => {
    locked.received.length = 0
  })

  const withCredentials = (encodedPassword: string): string => locked.url.replace('://', `://${user}:${encodedPassword}@`)

  it('sends the credentials to the mirror on every request, and never to the server it redirects to', async () => {
    const result = await run({
      'packer-version': '1.11.2',
      'packer-releases-url': withCredentials('M1rr0r%2FPa55'),
      'packer-signing-key': lockedKey
    })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['packer-version']).toBe('1.11.2')
    expect(locked.received).toEqual([
      { server: 'mirror', path: '/packer/index.json', authorization: basic },
      { server: 'mirror', path: sums, authorization: basic },
      { server: 'mirror', path: `/moved${sums}`, authorization: basic },
      { server: 'mirror', path: `${sums}.sig`, authorization: basic },
      { server: 'mirror', path: zip, authorization: basic },
      { server: 'elsewhere', path: zip, authorization: undefined }
    ])
    const shown = asTheRunnerShowsIt(result).log
    expect(shown).toContain(`from http://${user}:***@127.0.0.1`)
    expect(shown).not.toContain('Pa55')
    // A presigned URL's signature is a credential too.
    expect(shown).not.toContain('X-Amz-Signature')
  }, 60_000)

  it('says the mirror refused the credentials, naming the input, and does not retry', async () => {
    const refused = await run({
      'packer-version': '1.11.2',
      'packer-releases-url': withCredentials('Wr0ngPa55'),
      'packer-signing-key': lockedKey
    })
    expect(refused.exitCode).toBe(1)
    expect(refused.errors.at(-1)?.message).toBe(
      `packer-releases-url: the mirror refused the user and password in the URL: ${withCredentials('Wr0ngPa55')}/packer/index.json answered HTTP 401 Unauthorized`
    )
    expect(asTheRunnerShowsIt(refused).log).not.toContain('Pa55')
    expect(locked.received).toHaveLength(1)

    locked.received.length = 0
    const without = await run({ 'packer-version': '1.11.2', 'packer-releases-url': locked.url, 'packer-signing-key': lockedKey })
    expect(without.exitCode).toBe(1)
    expect(without.errors.at(-1)?.message).toBe(
      `packer-releases-url: the mirror asks for credentials: ${locked.url}/packer/index.json answered HTTP 401 Unauthorized. ` +
        'Write them into the URL from a secret: https://user:${{ secrets.PASSWORD }}@host/path'
    )
    expect(locked.received).toEqual([{ server: 'mirror', path: '/packer/index.json', authorization: undefined }])
  }, 60_000)
})

// GITHUB_PATH and GITHUB_ENV hand the installed Packer's folder and the plugin folder to the
// workflow's later steps. On a self-hosted runner either can fail to be written (a full disk:
// /dev/full answers every write with ENOSPC; a folder an earlier job removed).
describe("the runner's GITHUB_PATH and GITHUB_ENV", () => {
  const installedFolder = (version: string): string => join(toolCache, 'packer', version, 'x64')
  const pluginFolder = (): string => join(toolCache, 'packer-plugins')

  it("get the installed Packer's folder and PACKER_PLUGIN_PATH for the later steps", async () => {
    const path = join(workspace, 'github-path')
    const env = join(workspace, 'github-env')
    writeFileSync(path, '')
    writeFileSync(env, '')
    const result = await run({}, { GITHUB_PATH: path, GITHUB_ENV: env })
    expect(result.exitCode).toBe(0)
    expect(result.warnings).toEqual([])
    expect(readFileSync(path, 'utf8')).toBe(`${installedFolder('1.11.2')}\n`)
    expect(readFileSync(env, 'utf8')).toMatch(new RegExp(`^PACKER_PLUGIN_PATH<<(.+)\n${pluginFolder()}\n\\1\n$`))
  })

  it('on a full disk: the step still installs and validates, with one warning for each naming its variable and file', async () => {
    const result = await run({}, { GITHUB_PATH: '/dev/full', GITHUB_ENV: '/dev/full' })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stderr).toBe('')
    expect(result.outputs['packer-version']).toBe('1.11.2')
    expect(result.stdout).toContain('Installed plugin github.com/hashicorp/amazon')
    expect(result.warnings).toEqual([
      `Could not write the folder of Packer 1.11.2 (${installedFolder('1.11.2')}) to GITHUB_PATH (/dev/full): ` +
        "the runner's disk is full (ENOSPC): free space on it. Later steps do not find that Packer on PATH; this step runs it all the same.",
      `Could not write PACKER_PLUGIN_PATH (${pluginFolder()}) to GITHUB_ENV (/dev/full): ` +
        "the runner's disk is full (ENOSPC): free space on it. Later steps that run Packer do not look for plugins there; " +
        "this step's Packer uses them all the same."
    ])
  })

  it("with their folder gone, Packer from the tool cache: warnings naming the variable and the file, not Node's bare words", async () => {
    expect((await run()).exitCode).toBe(0)
    const path = join(workspace, 'gone', 'github-path')
    const env = join(workspace, 'gone', 'github-env')
    const result = await run({}, { GITHUB_PATH: path, GITHUB_ENV: env })
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('Using Packer 1.11.2 from the tool cache')
    const gone = "it is not there: the runner makes a fresh one for each step (a container job needs the runner's folders mounted)."
    expect(result.warnings).toEqual([
      `Could not write the folder of Packer 1.11.2 (${installedFolder('1.11.2')}) to GITHUB_PATH (${path}): ${gone} ` +
        'Later steps do not find that Packer on PATH; this step runs it all the same.',
      `Could not write PACKER_PLUGIN_PATH (${pluginFolder()}) to GITHUB_ENV (${env}): ${gone} ` +
        "Later steps that run Packer do not look for plugins there; this step's Packer uses them all the same."
    ])
  })
})
