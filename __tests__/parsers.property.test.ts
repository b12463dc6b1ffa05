// Every parser of outside text, given any text: it gives a value or its own clear error, and
// never an exception that escapes (a TypeError from a null, a RangeError from a regex).
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { amiPairs, amisFromAnnouncedArtifacts, ManifestError, parseManifest } from '../src/artifacts/manifest.js'
import { parseLeftoverState } from '../src/aws/leftovers.js'
import { InputError, readInputs } from '../src/inputs/index.js'
import { packerVersionProblem, parseVersionRequest } from '../src/inputs/packer-version.js'
import { oldestPacker, readPlainVersion, tooOld, type VersionRequest } from '../src/inputs/version-request.js'
import { manifestShapeProblem } from '../src/inputs/manifest.js'
import { checkTagCount, parseTagLines, tagProblem } from '../src/inputs/tags.js'
import { JsonSyntaxError, parseJsonWithPosition } from '../src/inputs/template.js'
import { fingerprintFiles } from '../src/inputs/fingerprint.js'
import { ByteLineSplitter, parseEventLine, renderEvent, RunRecord } from '../src/packer/machine-readable.js'
import { projectRoot } from './support/action-process.js'
import { stdoutDuring } from './support/workflow-commands.js'

/** Any JSON text, and JSON shaped like a manifest whose parts are anything. */
const manifestText = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .record(
      {
        builds: fc.oneof(
          fc.array(
            fc.record(
              {
                name: fc.oneof(fc.string(), fc.anything()),
                builder_type: fc.oneof(fc.constant('amazon-ebs'), fc.anything()),
                artifact_id: fc.oneof(
                  fc.constant('us-east-1:ami-0123456789abcdef0,eu-west-1:ami-00000000000000001'),
                  fc.string(),
                  fc.anything()
                ),
                packer_run_uuid: fc.oneof(fc.constant('run'), fc.anything())
              },
              { requiredKeys: [] }
            )
          ),
          fc.anything()
        ),
        last_run_uuid: fc.oneof(fc.constant('run'), fc.anything())
      },
      { requiredKeys: [] }
    )
    .map((manifest) => JSON.stringify(manifest))
)

describe('the manifest parser', () => {
  it('gives the AMIs of the latest run or a ManifestError naming the file', () => {
    fc.assert(
      fc.property(manifestText, (text) => {
        try {
          const run = parseManifest(text, 'out/m.json')
          for (const ami of run.amis) expect(ami.amiId).toMatch(/^ami-[0-9a-f]+$/)
          expect(manifestShapeProblem(JSON.parse(text))).toBeUndefined()
        } catch (error) {
          expect(error).toBeInstanceOf(ManifestError)
          expect((error as Error).message).toMatch(/^out\/m\.json/)
        }
      }),
      { numRuns: 500 }
    )
  })

  it('reads region:ami pairs from any artifact ID', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (id, build, builderId) => {
        for (const pair of amiPairs(id)) expect(id).toContain(`${pair.region}:${pair.amiId}`)
        amisFromAnnouncedArtifacts([{ id, build, builderId }])
      })
    )
  })
})

describe('the machine-readable line parser', () => {
  const eventLike = fc
    .tuple(
      fc.oneof(fc.nat().map(String), fc.string()),
      fc.oneof(fc.constant(''), fc.constant('amazon-ebs'), fc.string()),
      fc.constantFrom('ui', 'artifact', 'artifact-count', 'error', 'error-count', 'version'),
      fc.array(fc.oneof(fc.constantFrom('say', 'message', 'error', '0', 'id', 'builder-id', 'end'), fc.string()), { maxLength: 5 })
    )
    .map(([timestamp, target, type, data]) => [timestamp, target, type, ...data].join(','))

  it('gives an event or undefined for any line, and the run record takes any event', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), eventLike), { maxLength: 20 }), (lines) => {
        const record = new RunRecord()
        for (const line of lines) {
          const event = parseEventLine(line)
          if (event === undefined) continue
          expect(event.timestamp).toMatch(/^\d+$/)
          record.observe(event)
          renderEvent(event)
        }
        expect(record.errors.length).toBeLessThanOrEqual(100)
      }),
      { numRuns: 500 }
    )
  })

  it('splits any byte stream into the same lines, however it is cut into chunks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.nat(), { maxLength: 5 }), (text, cuts) => {
        const bytes = Buffer.from(text, 'utf8')
        const splitter = new ByteLineSplitter()
        const lines: string[] = []
        const onLine = (line: Buffer, from: number, to: number): number => lines.push(line.toString('utf8', from, to))
        let start = 0
        for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
          splitter.push(bytes.subarray(start, cut), onLine)
          start = cut
        }
        splitter.push(bytes.subarray(start), onLine)
        splitter.end(onLine)
        expect(lines.join('\n')).toBe(text.endsWith('\n') ? text.slice(0, -1) : text)
      })
    )
  })
})

describe('a JSON file that does not parse', () => {
  it("is placed where V8 places it, on the token V8 names where it names no place, on a comma too many or where one is missing, without quoting the text", () => {
    const mistakes = fc.constantFrom('', ',', ']', '}', '"', 'x', ':', '1', ' ', '\\', '{', '[', 't', '-', '.', 'e')
    fc.assert(
      fc.property(fc.json(), fc.nat(), mistakes, fc.boolean(), (json, at, mistake, drop) => {
        const index = at % (json.length + 1)
        const text = json.slice(0, index) + (drop ? '' : mistake) + json.slice(index + (drop ? 1 : 0))
        let said: string
        try {
          JSON.parse(text)
          return
        } catch (error) {
          said = (error as Error).message
        }
        let thrown: unknown
        try {
          parseJsonWithPosition(text)
        } catch (error) {
          thrown = error
        }
        const { position, message } = thrown as JsonSyntaxError
        expect(position).toBeDefined()
        const lines = text.split('\n')
        const offset = lines.slice(0, (position?.line ?? 1) - 1).join('\n').length + (position?.line === 1 ? 0 : 1) + (position?.column ?? 1) - 1
        const token = /^Unexpected token '([\s\S])'/.exec(said)
        const place = /at position (\d+)/.exec(said)
        // A comma too many is placed on itself, before the `}` or `]` that V8 names.
        if (message.startsWith('a comma after the last entry')) expect([text, text[offset], /^\s*[}\]]/.test(text.slice(offset + 1))]).toEqual([text, ',', true])
        // A missing comma is placed where it goes: right after the value before what V8 names.
        else if (/^Expected ',' or '[}\]]' after/.test(message) && place) expect([text, text.slice(offset, Number(place[1])).trim()]).toEqual([text, ''])
        else if (token) expect([text, text[offset]]).toEqual([text, token[1]])
        else if (place) expect([text, offset]).toEqual([text, Number(place[1])])
        expect(message).not.toContain('is not valid JSON')
      }),
      { numRuns: 5000 }
    )
  })
})

describe('packer-version', () => {
  it('refuses an exact version, a pre-release too, just when it comes before the oldest supported', () => {
    const [oldestMajor, oldestMinor, oldestPatch] = oldestPacker.split('.').map(Number)
    const part = fc.integer({ min: 0, max: 12 })
    const prerelease = fc.option(fc.constantFrom('alpha', 'beta1', 'rc.2', 'dev'), { nil: undefined })
    fc.assert(
      fc.property(fc.tuple(part, part, part, prerelease, fc.constantFrom('', 'v', '=', ' ')), ([major, minor, patch, pre, prefix]) => {
        const spec = `${prefix}${major}.${minor}.${patch}${pre ? `-${pre}` : ''}`
        const order = major - oldestMajor || minor - oldestMinor || patch - oldestPatch
        const older = order < 0 || (order === 0 && pre !== undefined)
        expect(packerVersionProblem(parseVersionRequest(spec) as VersionRequest, spec) !== undefined).toBe(older)
      }),
      { numRuns: 500 }
    )
  })

  it('reads a version written plainly as semver reads it, and leaves every other string to semver', () => {
    const digits = fc.oneof(
      fc.nat({ max: 20 }).map(String),
      fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String),
      fc.nat({ max: 99 }).map((n) => `0${n}`),
      fc.constantFrom('', ' ', 'x', '9007199254740991', '9007199254740992', '999999999999999', '1000000000000000')
    )
    const prefix = fc.constantFrom('', 'v', 'V', '=', 'v=', '=v', 'vv', ' ', '\t', ' v', '\u00a0')
    const suffix = fc.constantFrom('', ' ', '\n', '-rc.1', '+build', '.0', '.', 'x', '\u2028')
    const separator = fc.constantFrom('.', '.', '.', ',', '..')
    const versionLike = fc
      .tuple(prefix, digits, separator, digits, separator, digits, suffix)
      .map((parts) => parts.join(''))
    let plainOnes = 0
    fc.assert(
      fc.property(fc.oneof(versionLike, fc.string(), fc.stringMatching(/^v?\d{1,3}\.\d{1,3}\.\d{1,3}$/)), (spec) => {
        const plain = readPlainVersion(spec)
        if (plain === undefined) return
        plainOnes++
        const request = parseVersionRequest(spec)
        expect(request).toEqual({ kind: 'exact', version: plain.version })
        expect(plain.tooOld ? tooOld(spec) : undefined).toBe(packerVersionProblem(request as VersionRequest, spec))
      }),
      { numRuns: 3000 }
    )
    expect(plainOnes).toBeGreaterThan(300)
  })
})

describe('the tags parser', () => {
  it('gives tags that keep EC2 rules, or one message per bad line', () => {
    const tagLine = fc.oneof(
      fc.string(),
      fc.tuple(fc.string({ maxLength: 140 }), fc.string({ maxLength: 270 })).map(([key, value]) => `${key}=${value}`)
    )
    fc.assert(
      fc.property(fc.array(tagLine, { maxLength: 60 }), (lines) => {
        const { tags, problems } = parseTagLines(lines)
        for (const [key, value] of Object.entries(tags)) expect(tagProblem(key, value, '')).toBeUndefined()
        for (const problem of problems) expect(problem).toMatch(/^tags: /)
        expect(Object.keys(tags).length + problems.length).toBeLessThanOrEqual(lines.length)
        const tooMany = checkTagCount(tags, true)
        if (tooMany === undefined) expect(Object.keys({ ...tags, BuildTime: '', SourceCommit: '' }).length).toBeLessThanOrEqual(50)
        else expect(tooMany).toMatch(/^tags: EC2 allows at most 50 tags/)
      }),
      { numRuns: 500 }
    )
  })
})

describe('the post step state parser', () => {
  it('gives a state or undefined for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((value) => JSON.stringify(value) ?? '')), (text) => {
        const state = parseLeftoverState(text)
        if (state) for (const id of state.resources.instanceIds) expect(typeof id).toBe('string')
      })
    )
  })
})

describe('the inputs', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'inputs-property-'))
  cpSync(join(projectRoot, 'demo'), workspace, { recursive: true })
  const good: Record<string, string> = {
    'working-directory': 'json',
    template: 'packer-template.json',
    command: 'build',
    'on-error': 'cleanup',
    'packer-version': 'latest',
    cache: 'true',
    force: 'false',
    'provenance-tags': 'true',
    'tag-snapshots': 'true',
    summary: 'true'
  }
  const names = [
    'template', 'var-file', 'variables', 'working-directory', 'only', 'except', 'command', 'packer-version',
    'packer-releases-url', 'packer-signing-key', 'plugins', 'github-token', 'cache', 'on-error', 'force',
    'manifest', 'tags', 'provenance-tags', 'tag-snapshots', 'tagging-timeout', 'aws-region', 'summary',
    'reuse', 'fingerprint-paths'
  ]

  /** What the glob library logs (`::debug::Search path …`) while `during` runs: each path it walks. */
  async function searchPathsLogged(during: () => Promise<void>): Promise<string[]> {
    return (await stdoutDuring(during)).split('\n').filter((line) => line.startsWith('::debug::Search path'))
  }

  it('any values give inputs or an InputError, one message per problem, and nothing is globbed', async () => {
    let accepted = 0
    const values = fc.dictionary(
      fc.constantFrom(...names),
      fc.oneof(fc.string(), fc.constantFrom('', 'true', '..', '/', '/**', '1.1', 'a=b', 'hcl2', 'ami.pkr.hcl'))
    )
    // Reading inputs never globs: the fingerprint's files are read only for a build of valid inputs.
    const globbed = await searchPathsLogged(() => fc.assert(
      fc.asyncProperty(values, fc.option(fc.string(), { nil: undefined }), async (given, region) => {
        const get = (name: string): string => given[name] ?? good[name] ?? ''
        try {
          const inputs = await readInputs(get, { GITHUB_WORKSPACE: workspace, AWS_REGION: region })
          expect(inputs.workingDirectory.startsWith(workspace)).toBe(true)
          expect(inputs.githubToken).not.toMatch(/[\r\n]/)
          accepted++
        } catch (error) {
          expect(error).toBeInstanceOf(InputError)
          const { problems } = error as InputError
          expect(problems.length).toBeGreaterThan(0)
          for (const problem of problems) expect(problem.message).toMatch(/^[A-Za-z_-]+: /)
        }
      }),
      { numRuns: 300 }
    ))
    expect(globbed).toEqual([])
    // Good values are drawn too, so both outcomes are exercised.
    expect(accepted).toBeGreaterThan(0)
  })

  it('the check above would see a glob: fingerprinting valid inputs logs its search path', async () => {
    const inputs = await readInputs((name) => good[name] ?? '', { GITHUB_WORKSPACE: workspace })
    const globbed = await searchPathsLogged(async () => {
      await fingerprintFiles(inputs)
    })
    expect(globbed).toEqual([`::debug::Search path '${join(workspace, 'json')}'`])
  })
})
