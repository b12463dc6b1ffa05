import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, readInputs, type Inputs } from '../src/inputs/index.js'
import { readHclTemplate } from '../src/inputs/hcl.js'
import { buildsWithoutInstance, noBuildLaunchesInstance, scriptLinesAlike } from '../src/inputs/template-files.js'
import { provisionerProblems } from '../src/inputs/build-variables.js'
import { actionDefaults } from './support/action-process.js'

// The defaults of action.yml, as the runner passes them.
const defaults: Record<string, string> = actionDefaults()

const template = {
  builders: [{ type: 'amazon-ebs', name: 'web' }, { type: 'amazon-ebs', name: 'arm' }],
  'post-processors': [{ type: 'manifest', output: 'out/manifest.json' }]
}

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'inputs-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

function read(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<Inputs> {
  const all = { ...defaults, ...inputs }
  return readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace, ...env })
}

async function problems(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await read(inputs, env)
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => p.message)
    throw error
  }
  throw new Error('expected the inputs to be rejected')
}

describe('readInputs with the defaults', () => {
  it('reads a JSON template, its builds and its manifest output', async () => {
    const inputs = await read()
    expect(inputs.templateKind).toBe('json')
    expect(inputs.buildNames).toEqual(['web', 'arm'])
    expect(inputs.builderTypes).toEqual(['amazon-ebs'])
    expect(inputs.manifest).toBe(join(workspace, 'out/manifest.json'))
    expect(inputs.varFiles).toEqual([])
    expect(inputs.command).toBe('build')
    expect(inputs.onError).toBe('cleanup')
  })

  it('uses packer-vars.json beside a JSON template when var-file is empty', async () => {
    writeFileSync(join(workspace, 'packer-vars.json'), '{"region": "us-east-1"}')
    const inputs = await read()
    expect(inputs.varFiles).toEqual(['packer-vars.json'])
    expect(inputs.defaultVarFile).toBe('packer-vars.json')
  })

  it('finds templates and var files relative to working-directory', async () => {
    mkdirSync(join(workspace, 'images/web'), { recursive: true })
    writeFileSync(join(workspace, 'images/web/ami.pkr.hcl'), 'build {\n  post-processor "manifest" {\n    output = "m.json"\n  }\n}\n')
    writeFileSync(join(workspace, 'images/web/prod.pkrvars.hcl'), 'x = 1\n')
    const inputs = await read({ 'working-directory': 'images/web', template: 'ami.pkr.hcl', 'var-file': 'prod.pkrvars.hcl' })
    expect(inputs.workingDirectory).toBe(join(workspace, 'images/web'))
    expect(inputs.templateKind).toBe('hcl')
    expect(inputs.varFiles).toEqual(['prod.pkrvars.hcl'])
    expect((await readHclTemplate(inputs)).manifest).toBe(join(workspace, 'images/web/m.json'))
  })

  it("takes a folder whose name begins with '..' for one inside the workspace", async () => {
    mkdirSync(join(workspace, '..images'))
    writeFileSync(join(workspace, '..images', 'packer-template.json'), JSON.stringify(template))
    const inputs = await read({ 'working-directory': '..images', reuse: 'true', 'aws-region': 'us-east-1', 'fingerprint-paths': '../..images/**' })
    expect(inputs.workingDirectory).toBe(join(workspace, '..images'))
    expect(inputs.fingerprintPatterns).toEqual([join(workspace, '..images', '**')])
    expect(await problems({ 'working-directory': '..' })).toEqual([
      expect.stringMatching(/^working-directory: expected a directory inside the workspace/)
    ])
  })

  it('reads the user tags, and whether provenance tags go with them', async () => {
    const inputs = await read({ tags: 'Team=platform\nName=web' })
    expect(inputs.tags).toEqual({ Team: 'platform', Name: 'web' })
    expect(inputs.provenanceTags).toBe(true)
    expect((await read({ 'provenance-tags': 'false', tags: 'Team=x' })).provenanceTags).toBe(false)
  })

  it('takes the home region from AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    expect((await read({}, { AWS_DEFAULT_REGION: 'eu-west-1' })).awsRegion).toBe('eu-west-1')
    expect((await read({}, { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' })).awsRegion).toBe('us-east-2')
    expect((await read({ 'aws-region': 'ap-south-1' }, { AWS_REGION: 'us-east-2' })).awsRegion).toBe('ap-south-1')
  })

  it('accepts regions whose first part is not two letters, as the European Sovereign Cloud has', async () => {
    expect((await read({ 'aws-region': 'eusc-de-east-1' })).awsRegion).toBe('eusc-de-east-1')
    expect((await read({}, { AWS_REGION: 'us-gov-west-1' })).awsRegion).toBe('us-gov-west-1')
  })

  it('accepts versions, ranges and latest, as typed requests', async () => {
    expect((await read({ 'packer-version': 'latest' })).packerVersion).toEqual({ kind: 'latest' })
    expect((await read({ 'packer-version': 'v1.11.2' })).packerVersion).toEqual({ kind: 'exact', version: '1.11.2' })
    for (const range of ['~1.11', '>=1.10 <2', '1.x']) {
      expect((await read({ 'packer-version': range })).packerVersion).toEqual({ kind: 'range', range })
    }
  })

  it('drops a trailing slash from the releases URL, and reads an armored signing key', async () => {
    const openpgp = await import('openpgp')
    const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'Mirror' }], format: 'armored' })
    const inputs = await read({ 'packer-releases-url': 'https://mirror.example/releases/', 'packer-signing-key': publicKey })
    expect(inputs.packerReleasesUrl).toBe('https://mirror.example/releases')
    expect(inputs.packerSigningKey?.description).toBe('the key in input packer-signing-key')
  })

  it("reads the releases URL's user and password percent-decoded, as it keeps the URL as written for messages", async () => {
    const url = 'https://ci:M1rr0r%2FPa55%40@mirror.example/hashicorp'
    const inputs = await read({ 'packer-releases-url': url })
    expect(inputs.packerReleasesUrl).toBe(url)
    expect(inputs.packerReleasesCredentials).toEqual({ user: 'ci', password: 'M1rr0r/Pa55@' })
    // A token given as the user alone
    expect((await read({ 'packer-releases-url': 'https://t0ken@mirror.example' })).packerReleasesCredentials).toEqual({ user: 't0ken', password: '' })
    expect((await read({ 'packer-releases-url': 'https://mirror.example' })).packerReleasesCredentials).toBeUndefined()
  })

  it('reads variables, only and except', async () => {
    const inputs = await read({ variables: 'region=us-east-1\nami_name=web {{timestamp}}', only: 'web, arm', except: '' })
    expect(inputs.variables).toEqual([
      { name: 'region', value: 'us-east-1', line: 1 },
      { name: 'ami_name', value: 'web {{timestamp}}', line: 2 }
    ])
    expect(inputs.only).toEqual(['web', 'arm'])
  })

  it("takes a JSON template's variable by any name, as Packer does (it splits -var at the first =)", async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({ variables: { 'aws.region': 'us-east-1' }, builders: [{ type: 'amazon-ebs', name: 'web-{{user `aws.region`}}' }] })
    )
    const inputs = await read({ variables: 'aws.region=eu-west-1' })
    expect(inputs.variables).toEqual([{ name: 'aws.region', value: 'eu-west-1', line: 1 }])
    expect(inputs.buildNames).toEqual(['web-eu-west-1'])
  })

  it('ignores spaces around the = of a variable, as in tags, and keeps the rest of the value', async () => {
    const inputs = await read({ variables: ' instance_type = t3.large \nami_name=web =x\nempty=\nspaced =  \n' })
    expect(inputs.variables).toEqual([
      { name: 'instance_type', value: 't3.large', line: 1 },
      { name: 'ami_name', value: 'web =x', line: 2 },
      { name: 'empty', value: '', line: 3 },
      { name: 'spaced', value: '', line: 4 }
    ])
  })
})

describe('inputs as a workflow writes them and the runner passes them', () => {
  // The runner sets INPUT_<NAME> to the evaluated `with:` value whenever the key is there, and
  // uses action.yml's default only when it is not: `force: ${{ inputs.force }}` in a reusable
  // workflow called without that input passes '' (as does `force:` with no value).
  it("reads an input given as '' as its default in action.yml, every input at once", async () => {
    const empty = Object.fromEntries(Object.keys(defaults).map((name) => [name, '']))
    expect(await read(empty)).toEqual(await read())
    expect(await read({ command: '', 'on-error': '', cache: '', force: '', summary: '' })).toEqual(await read())
  })

  it('skips # comment lines and blank lines in every multi-line input, as it does in plugins', async () => {
    writeFileSync(join(workspace, 'prod.json'), '{"region": "us-east-1"}')
    const commented = await read({
      tags: '# who owns it\nTeam=platform\n\n  # Env=staging\nEnv=prod\n',
      variables: '# the size\ninstance_type=t3.large\n',
      'var-file': '# production\nprod.json\n',
      only: '# the x86 build\nweb\n'
    })
    const plain = await read({ tags: 'Team=platform\nEnv=prod', variables: 'instance_type=t3.large', 'var-file': 'prod.json', only: 'web' })
    // Each variable keeps its line as written, comments counted, for the messages about it.
    expect(commented.variables).toEqual([{ name: 'instance_type', value: 't3.large', line: 2 }])
    expect({ ...commented, variables: plain.variables }).toEqual(plain)
  })

  it('reads a block scalar, a value from a variable saved with CRLF, and spaces around each line alike', async () => {
    const block = await read({ tags: 'Team=platform\nEnv=prod\n', variables: 'a=1\n', only: 'web,\narm\n' })
    const crlf = await read({ tags: 'Team=platform\r\nEnv=prod\r\n', variables: '  a=1  \r\n', only: ' web , arm, ' })
    expect(crlf).toEqual(block)
    expect(block.tags).toEqual({ Team: 'platform', Env: 'prod' })
    expect(block.only).toEqual(['web', 'arm'])
  })
})

describe("a file at packer-manifest.json beside an HCL2 template that Packer's manifest post-processor would fail on", () => {
  const broken = '{"builds": ['
  const templateWith = (build: string, rest = ''): void =>
    writeFileSync(join(workspace, 'ami.pkr.hcl'), `${rest}build {\n  sources = ["null.x"]\n${build}}\n`)

  beforeEach(() => writeFileSync(join(workspace, 'packer-manifest.json'), broken))

  it('is refused when the template writes there: no output, an empty one, or one that names it', async () => {
    for (const [build, rest] of [
      ['  post-processor "manifest" {}\n', ''],
      ['  post-processor "manifest" {\n    output = ""\n  }\n', ''],
      ['  post-processor "manifest" {\n    output = "${path.root}/${var.file}"\n  }\n', 'variable "file" {\n  default = "packer-manifest.json"\n}\n']
    ]) {
      templateWith(build, rest)
      expect(await problems({ template: 'ami.pkr.hcl' })).toEqual([
        expect.stringMatching(/^manifest: packer-manifest\.json is not valid JSON at line 1, column 13: .*fix or delete it\.$/)
      ])
    }
  })

  it('is refused when a variable given to this run makes the template write there', async () => {
    templateWith('  post-processor "manifest" {\n    output = var.file\n  }\n', 'variable "file" {\n  default = "out/m.json"\n}\n')
    expect(await problems({ template: 'ami.pkr.hcl', variables: 'file=packer-manifest.json' })).toHaveLength(1)
    expect(await problems({ template: 'ami.pkr.hcl' }, { PKR_VAR_file: 'packer-manifest.json' })).toHaveLength(1)
  })

  it('is left alone when the template writes elsewhere, has no manifest post-processor, or only Packer knows where', async () => {
    for (const build of [
      '  post-processor "manifest" {\n    output = "${path.root}/out/images.json"\n  }\n',
      '',
      '  post-processor "manifest" {\n    output = "${source.name}.json"\n  }\n'
    ]) {
      templateWith(build)
      const inputs = await read({ template: 'ami.pkr.hcl' })
      expect(inputs.manifest).toBe(join(workspace, 'packer-manifest.json'))
    }
    templateWith('  post-processor "manifest" {\n    output = "${path.root}/out/images.json"\n  }\n')
    expect((await readHclTemplate(await read({ template: 'ami.pkr.hcl' }))).manifest).toBe(join(workspace, 'out/images.json'))
  })

  it('is left alone when Packer would write over it and lose nothing: an object with no builds and no keys of its own', async () => {
    templateWith('  post-processor "manifest" {}\n')
    for (const text of ['{}', '{"last_run_uuid": "0b5e"}']) {
      writeFileSync(join(workspace, 'packer-manifest.json'), text)
      expect((await read({ template: 'ami.pkr.hcl' })).manifest).toBe(join(workspace, 'packer-manifest.json'))
    }
    writeFileSync(join(workspace, 'packer-manifest.json'), '{"short_name": "Web", "start_url": "/"}')
    expect(await problems({ template: 'ami.pkr.hcl' })).toEqual([
      'manifest: packer-manifest.json is not a Packer manifest (it has "short_name", "start_url" and no "builds"): ' +
        "Packer's manifest post-processor would write over it and lose that. Move the file, or have the manifest written elsewhere."
    ])
  })

  it('is refused whatever the template says when input manifest names it', async () => {
    templateWith('  post-processor "manifest" {\n    output = "out/images.json"\n  }\n')
    expect(await problems({ template: 'ami.pkr.hcl', manifest: 'packer-manifest.json' })).toEqual([
      expect.stringMatching(/^manifest: packer-manifest\.json is not valid JSON/)
    ])
  })
})

describe('a file at packer-manifest.json beside a JSON template', () => {
  const writeTemplate = (postProcessors: unknown[]): void =>
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web' }], 'post-processors': postProcessors }))

  beforeEach(() => writeFileSync(join(workspace, 'packer-manifest.json'), 'garbage'))

  it('is left alone when the template has no manifest post-processor: Packer never writes it', async () => {
    writeTemplate([{ type: 'shell-local', inline: ['echo'] }])
    expect((await read()).manifest).toBe(join(workspace, 'packer-manifest.json'))
  })

  it("is refused when the template's manifest post-processor writes there, or input manifest names it", async () => {
    writeTemplate([{ type: 'manifest' }])
    expect(await problems({})).toEqual([expect.stringMatching(/^manifest: packer-manifest\.json is not valid JSON/)])
    writeTemplate([])
    expect(await problems({ manifest: 'packer-manifest.json' })).toEqual([expect.stringMatching(/^manifest: packer-manifest\.json is not valid JSON/)])
  })
})

describe('readInputs rejects each bad input with its own message', () => {
  it('a missing template', async () => {
    expect((await problems({ template: 'nope.json' }))).toEqual([
      'template: expected a Packer template at "nope.json" in ".", found no such file'
    ])
  })

  it('a missing working directory', async () => {
    expect((await problems({ 'working-directory': 'missing' }))).toEqual([
      'working-directory: expected a directory, found none at "missing"'
    ])
  })

  it('a JSON template that does not parse, with file, line and column', async () => {
    writeFileSync(join(workspace, 'broken.json'), '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n')
    try {
      (await read({ template: 'broken.json' }))
      throw new Error('expected a rejection')
    } catch (error) {
      const [problem] = (error as InputError).problems
      expect(problem.message).toMatch(/^template: broken\.json is not valid JSON at line 4, column 3: /)
      expect(problem.location).toEqual({ file: 'broken.json', line: 4, column: 3 })
    }
  })

  it('a JSON template without builders', async () => {
    writeFileSync(join(workspace, 'empty.json'), '{}')
    expect((await problems({ template: 'empty.json' }))).toEqual([
      'template: empty.json is not a Packer JSON template: expected "builders" to be a non-empty array'
    ])
  })

  it('a directory with no HCL2 files', async () => {
    mkdirSync(join(workspace, 'packer'))
    expect((await problems({ template: 'packer' }))).toEqual([
      'template: expected .pkr.hcl or .pkr.json files in the directory "packer", found none'
    ])
  })

  it('a missing var file and a var file that does not parse', async () => {
    writeFileSync(join(workspace, 'bad-vars.json'), '{"a": "b",}')
    expect((await problems({ 'var-file': 'missing.json\nbad-vars.json' }))).toEqual([
      'var-file: expected a variables file at "missing.json" in ".", found no such file',
      'var-file: bad-vars.json is not valid JSON at line 1, column 10: a comma after the last entry, which JSON does not allow: remove it'
    ])
  })

  it('a JSON template var file with values that are not strings: each one', async () => {
    writeFileSync(join(workspace, 'vars.json'), '{"count": 2, "region": "us-east-1", "encrypted": true, "unset": null}')
    expect((await problems({ 'var-file': 'vars.json' }))).toEqual([
      'var-file: vars.json: expected variable "count" to be a string (or null), found 2',
      'var-file: vars.json: expected variable "encrypted" to be a string (or null), found true'
    ])
  })

  it('variables that are not NAME=VALUE', async () => {
    expect((await problems({ variables: 'region us-east-1' }))).toEqual([
      'variables: expected NAME=VALUE with a variable name, found "region us-east-1"'
    ])
  })

  it('a JSON variables file with null, as Packer accepts it', async () => {
    writeFileSync(join(workspace, 'vars.json'), '{"containerd_sha256": null, "region": "us-east-1"}')
    expect((await read({ 'var-file': 'vars.json' })).varFiles).toEqual(['vars.json'])
  })

  it('a glob in only or except for a JSON template, which Packer would ignore', async () => {
    expect(await problems({ only: 'w*', except: 'arm,x?' })).toEqual([
      expect.stringMatching(/^only: "w\*" is a pattern, and Packer matches only exact build names in a JSON template .*\(the template's builds: web, arm\)$/),
      expect.stringMatching(/^except: "x\?" is a pattern/)
    ])
  })

  it('takes a JSON build named with [, * or ? by its exact name, as Packer does', async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'ubuntu[arm64]' }, { type: 'amazon-ebs', name: 'ubuntu[amd64]' }] })
    )
    const inputs = await read({ only: 'ubuntu[arm64]', except: 'ubuntu[amd64]' })
    expect([inputs.only, inputs.except]).toEqual([['ubuntu[arm64]'], ['ubuntu[amd64]']])
    expect(await problems({ only: 'ubuntu[*]' })).toEqual([expect.stringMatching(/^only: "ubuntu\[\*\]" is a pattern/)])
  })

  it('a build name from a user variable, known from a variables file', async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({ builders: [{ type: 'amazon-ebs', name: '{{user `build_name`}}' }] })
    )
    writeFileSync(join(workspace, 'os.json'), '{"build_name": "ubuntu-20.04"}')
    expect((await read({ 'var-file': 'os.json', only: 'ubuntu-20.04' })).buildNames).toEqual(['ubuntu-20.04'])
    expect(await problems({ 'var-file': 'os.json', only: 'ubuntu-22.04' })).toEqual([
      'only: the template has no build named "ubuntu-22.04" (its builds: ubuntu-20.04)'
    ])
    // Known only at build time: Packer decides.
    expect((await read({ only: 'anything' })).buildNamesKnown).toBe(false)
  })

  it("a JSON template's builds that start no instance of their own: amazon-chroot ones and others than Amazon's, named or not", async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({
        builders: [
          { type: 'amazon-chroot', name: 'base-{{user `os`}}' },
          { type: 'amazon-chroot' },
          { type: 'amazon-ebs', name: 'web' },
          { type: 'null', name: 'smoke-test' },
          { type: 'docker' },
          { type: 'amazon-ebssurrogate' },
          { type: 'amazon-instance', name: 'store' }
        ]
      })
    )
    writeFileSync(join(workspace, 'os.json'), '{"os": "ubuntu"}')
    const template = await read({ 'var-file': 'os.json' })
    expect(template.jsonBuildsWithoutInstance).toEqual(['base-ubuntu', 'amazon-chroot', 'smoke-test', 'docker'])
    expect(buildsWithoutInstance(template)).toEqual(['base-ubuntu', 'amazon-chroot', 'smoke-test', 'docker'])
  })

  it("an HCL2 template's builds that start no instance of their own, as packer inspect names them", () => {
    const buildNames = ['amazon-ebs.web', 'null.smoke', 'golden.amazon-chroot.host', 'golden.amazon-ebssurrogate.root', 'amazon-ebs.null.x', 'docker.app', 'amazon-ebs.amazon-ebs']
    expect(buildsWithoutInstance({ templateKind: 'hcl', buildNames, jsonBuildsWithoutInstance: [] })).toEqual(['null.smoke', 'golden.amazon-chroot.host', 'docker.app'])
  })

  it("a template whose scripts' lines Packer writes as its builder's: a plugin's provisioner, from Packer 1.7 on", () => {
    const json = (provisionerTypes: string[]) => ({ templateKind: 'json' as const, provisionerTypes })
    const hcl = (hclProvisionerTypes?: string[]) => ({ templateKind: 'hcl' as const, provisionerTypes: [], hclProvisionerTypes })
    expect(scriptLinesAlike(json(['shell', 'ansible']), '1.11.2')).toBe(true)
    expect(scriptLinesAlike(json(['shell', 'file', 'shell-local', 'windows-restart']), '1.12.0')).toBe(false)
    // Packer 1.6.6 runs every provisioner from its own code.
    expect(scriptLinesAlike(json(['ansible']), '1.6.6')).toBe(false)
    expect(scriptLinesAlike(hcl(['ansible-local']), '1.9.4')).toBe(true)
    expect(scriptLinesAlike(hcl(['shell']), '1.16.0')).toBe(false)
    expect(scriptLinesAlike(hcl(), '1.11.2')).toBe(false)
  })

  it('a template none of whose builds starts an instance of its own, whatever Packer names them', () => {
    expect(noBuildLaunchesInstance({ templateKind: 'hcl', builderTypes: [], hclBuildTypes: ['null'] })).toBe(true)
    expect(noBuildLaunchesInstance({ templateKind: 'hcl', builderTypes: [], hclBuildTypes: ['null', 'amazon-ebs'] })).toBe(false)
    // Where the parser could not tell every build's type.
    expect(noBuildLaunchesInstance({ templateKind: 'hcl', builderTypes: [] })).toBe(false)
    expect(noBuildLaunchesInstance({ templateKind: 'json', builderTypes: ['null', 'amazon-chroot'] })).toBe(true)
    expect(noBuildLaunchesInstance({ templateKind: 'json', builderTypes: ['null', 'amazon-instance'] })).toBe(false)
  })

  it('only and except naming builds the template does not have', async () => {
    expect((await problems({ only: 'web,windows', except: 'linux' }))).toEqual([
      'only: the template has no build named "windows" (its builds: web, arm)',
      'except: the template has no build or post-processor named "linux" (its builds: web, arm; its post-processors: manifest)'
    ])
  })

  it('except naming a post-processor, by its name or, unnamed, its type, which Packer skips; only names builds alone', async () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({
        builders: [{ type: 'amazon-ebs', name: 'web' }],
        'post-processors': [{ type: 'manifest' }, [{ type: 'manifest', name: 'copy', output: 'm2.json' }, 'checksum']]
      })
    )
    // A build's except that leaves no build is refused (e2e-templates.test.ts): validate's is not.
    expect((await read({ except: 'manifest,copy,checksum,web', command: 'validate' })).except).toEqual(['manifest', 'copy', 'checksum', 'web'])
    expect(await problems({ except: 'compress', only: 'manifest' })).toEqual([
      'only: the template has no build named "manifest" (its builds: web)',
      'except: the template has no build or post-processor named "compress" (its builds: web; its post-processors: manifest, copy, checksum)'
    ])
  })

  it('a JSON template that begins with a byte order mark, which Packer does not read either', async () => {
    writeFileSync(join(workspace, 'packer-template.json'), `\uFEFF${JSON.stringify({ builders: [{ type: 'amazon-ebs' }] })}`)
    expect(await problems({})).toEqual([
      'template: packer-template.json is not valid JSON at line 1, column 1: it begins with a byte order mark (U+FEFF), which Packer ' +
        'does not read: save it as UTF-8 without one'
    ])
  })

  it('an unknown command or on-error mode', async () => {
    expect((await problems({ command: 'deploy', 'on-error': 'ask' }))).toEqual([
      'command: expected one of build, validate, found "deploy"',
      'on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"'
    ])
  })

  it('a packer-version that is neither a version nor a range', async () => {
    expect((await problems({ 'packer-version': 'newest' }))).toEqual([
      'packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "newest"'
    ])
  })

  it('a releases URL that is not http(s) and a signing key that is not armored', async () => {
    expect((await problems({ 'packer-releases-url': 'ftp://mirror', 'packer-signing-key': 'abc' }))).toEqual([
      'packer-releases-url: expected an http(s) URL, found "ftp://mirror"',
      'packer-signing-key: expected an ASCII-armored PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)'
    ])
  })

  it('a releases URL whose password is not percent-encoded, without naming the password', async () => {
    expect(await problems({ 'packer-releases-url': 'https://ci:100%sure@mirror.example' })).toEqual([
      'packer-releases-url: the user and password in the URL are not percent-encoded as a URL needs ' +
        '(a % must be followed by two hex digits; write % itself as %25)'
    ])
  })

  it('an armored signing key that OpenPGP cannot read', async () => {
    const broken = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----'
    expect(await problems({ 'packer-signing-key': broken })).toEqual([
      expect.stringMatching(
        /^packer-signing-key: expected an ASCII-armored PGP public key \(-----BEGIN PGP PUBLIC KEY BLOCK-----\), but it could not be read: /
      )
    ])
  })

  it('booleans that are not true or false', async () => {
    expect((await problems({ force: 'yes', summary: '1' }))).toEqual([
      'force: expected true or false, found "yes"',
      'summary: expected true or false, found "1"'
    ])
  })

  it('tags that break EC2 rules, counting provenance tags', async () => {
    const fortyFour = Array.from({ length: 44 }, (_, i) => `k${i}=v`).join('\n')
    // A build also writes its image family and, being provenance, its fingerprint tags.
    const own = "4 of the action's own \\(ImageFamily, BuildFingerprint, BuildSet, PackerBuild\\)"
    expect(await problems({ tags: fortyFour })).toEqual([
      expect.stringMatching(new RegExp(`^tags: EC2 allows at most 50 tags .* found 55 \\(44 from tags \\+ 7 provenance tags \\+ ${own}`))
    ])
    // A validate run counts them too: the build on merge, with the same inputs, would refuse these tags.
    expect(await problems({ tags: fortyFour, command: 'validate' })).toEqual([expect.stringMatching(new RegExp(`found 55 \\(44 from tags \\+ 7 provenance tags \\+ ${own}`))])
    expect(Object.keys((await read({ tags: fortyFour, 'provenance-tags': 'false' })).tags)).toHaveLength(44)
    expect(await problems({ tags: 'aws:x=1' })).toEqual(['tags: the "aws:" prefix is reserved for AWS, found key "aws:x"'])
  })

  it('the 50-tag check counts the fingerprint tags whenever they are written: with provenance-tags or reuse', async () => {
    const tags = (count: number) => Array.from({ length: count }, (_, i) => `k${i}=v`).join('\n')
    const reuse = { reuse: 'true', 'aws-region': 'us-east-1' }
    // 39 + 7 provenance + 4 own is the most a build with provenance tags can carry, reuse or not.
    expect(Object.keys((await read({ tags: tags(39) })).tags)).toHaveLength(39)
    expect(Object.keys((await read({ tags: tags(39), ...reuse })).tags)).toHaveLength(39)
    expect(await problems({ tags: tags(40) })).toEqual([expect.stringMatching(/found 51 .* \+ 4 of the action's own/)])
    expect(await problems({ tags: tags(40), ...reuse })).toEqual([expect.stringMatching(/found 51 .* \+ 4 of the action's own/)])
    // Without provenance tags: nothing of the action's own, or only the fingerprint tags with reuse.
    const without = { 'provenance-tags': 'false' }
    expect(Object.keys((await read({ tags: tags(50), ...without })).tags)).toHaveLength(50)
    expect(Object.keys((await read({ tags: tags(47), ...without, ...reuse })).tags)).toHaveLength(47)
    expect(await problems({ tags: tags(48), ...without, ...reuse })).toEqual([
      expect.stringMatching(/found 51 \(48 from tags \+ 0 provenance tags \+ 3 of the action's own \(BuildFingerprint, BuildSet, PackerBuild\)/)
    ])
    // A provenance key that tags gives too is one tag, counted once.
    expect(Object.keys((await read({ tags: `${tags(39)}\nSourceRef=mine` })).tags)).toHaveLength(40)
  })

  it("a tags entry of a key of the action's own that a feature of the run goes by is refused, naming the input", async () => {
    const keepImages = { 'keep-images': '2' }
    expect(await problems({ tags: 'ImageFamily=web\nTeam=platform', ...keepImages })).toEqual([
      "tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: web instead of the tags entry"
    ])
    expect(await problems({ tags: 'BuildSet=x\nBuildFingerprint=y', 'provenance-tags': 'false', reuse: 'true', 'aws-region': 'us-east-1' })).toEqual([
      "tags: BuildFingerprint, BuildSet are the action's own, which reuse goes by; remove the tags entry, or set reuse: false to write them yourself"
    ])
    expect(await problems({ tags: 'PackerBuild=true', reuse: 'true', 'aws-region': 'us-east-1' })).toEqual([
      "tags: PackerBuild is the action's own, which reuse goes by; remove the tags entry, or set reuse: false to write it yourself"
    ])
    const own = 'ImageFamily=web\nBuildFingerprint=y\nBuildSet=x\nPackerBuild=z'
    // A validate run refuses them as the build on merge would.
    expect(await problems({ tags: 'ImageFamily=web', command: 'validate', ...keepImages })).toEqual([
      "tags: ImageFamily is the action's own tag, which keep-images goes by; set image-family: web instead of the tags entry"
    ])
    expect(await problems({ tags: own, 'provenance-tags': 'false', 'image-family': 'base' })).toEqual([
      "tags: ImageFamily is the action's own tag, which image-family gives; set image-family: web instead of the tags entry"
    ])
  })

  it("a tags entry of a key of the action's own that nothing of the run goes by is the user's, as a provenance key's", async () => {
    const own = 'ImageFamily=web\nBuildFingerprint=y\nBuildSet=x\nPackerBuild=z'
    const given = { ImageFamily: 'web', BuildFingerprint: 'y', BuildSet: 'x', PackerBuild: 'z' }
    // Written as provenance alone, with the default inputs: the entry's value wins.
    expect((await read({ tags: own })).tags).toEqual(given)
    expect((await read({ tags: own, command: 'validate' })).tags).toEqual(given)
    // Not written at all without provenance-tags.
    expect((await read({ tags: own, 'provenance-tags': 'false' })).tags).toEqual(given)
    // With reuse, only ImageFamily is still written as provenance alone.
    expect((await read({ tags: 'ImageFamily=web', reuse: 'true', 'aws-region': 'us-east-1' })).tags).toEqual({ ImageFamily: 'web' })
    // With keep-images, only the fingerprint tags are.
    expect((await read({ tags: 'PackerBuild=true', 'keep-images': '2' })).tags).toEqual({ PackerBuild: 'true' })
    // Each counted once toward EC2's 50: 39 + the 4 given + 7 provenance tags, and no more of the action's own.
    const tags = (count: number) => Array.from({ length: count }, (_, i) => `k${i}=v`).join('\n')
    expect(Object.keys((await read({ tags: `${tags(39)}\n${own}` })).tags)).toHaveLength(43)
  })

  it('a region that is not a region, naming where it came from', async () => {
    expect((await problems({ 'aws-region': 'Virginia' }))).toEqual([
      'aws-region: expected an AWS region such as us-east-1, found "Virginia"'
    ])
    expect((await problems({}, { AWS_REGION: 'us_east_1' }))).toEqual([
      'AWS_REGION: expected an AWS region such as us-east-1, found "us_east_1"'
    ])
    for (const typo of ['useast1', 'US-EAST-1', 'us-east', 'eusc-de-east1']) {
      expect((await problems({ 'aws-region': typo }))).toEqual([`aws-region: expected an AWS region such as us-east-1, found "${typo}"`])
    }
  })

  it('reports every problem at once', async () => {
    expect((await problems({ command: 'x', force: 'y', 'packer-version': 'z' }))).toHaveLength(3)
  })
})

describe("refused inputs, with a JSON template's provisioners that cannot work on a runner and files not there", () => {
  const builders = [{ type: 'amazon-ebs', name: 'web', communicator: 'none' }]
  const shell = { type: 'shell', inline: ['uptime'] }
  const written = (template: Record<string, unknown>): void => writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(template, null, 2))

  it('names them after the inputs\' own problems, each on its place', async () => {
    written({ builders, provisioners: [shell, { type: 'shell-local', script: 'scripts/missing.sh' }] })
    const error = await read({ 'aws-region': 'Virginia' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(InputError)
    const file = join(workspace, 'packer-template.json')
    expect((error as InputError).problems).toEqual([
      { message: 'aws-region: expected an AWS region such as us-east-1, found "Virginia"' },
      { message: expect.stringMatching(/^provisioner "shell" runs on the instance through a communicator, and its build connects none \(web has/), location: { file: 'packer-template.json', value: { path: file, at: ['provisioners', 0, 'type'] } } },
      { message: expect.stringMatching(/^template: packer-template\.json: provisioners\[1\]\.script names "scripts\/missing\.sh", which is not there/), location: { file: 'packer-template.json', value: { path: file, at: ['provisioners', 1, 'script'] } } }
    ])
  })

  it('names nothing more when the inputs pass, nor where the template has nothing to name', async () => {
    written({ builders, provisioners: [shell] })
    await expect(read()).resolves.toMatchObject({ templateKind: 'json' })
    written({ builders: [{ ...builders[0], communicator: 'ssh', ssh_username: 'u' }], provisioners: [shell] })
    expect(await problems({ 'aws-region': 'Virginia' })).toEqual(['aws-region: expected an AWS region such as us-east-1, found "Virginia"'])
  })

  it('with a variables file not read, or a variables line, leaves out what a value it may set makes: a path, a build\'s name', async () => {
    written({ variables: { script: 'scripts/from-default.sh', build: 'web' }, builders, provisioners: [{ type: 'shell-local', scripts: ['{{user `script`}}', 'scripts/written.sh'] }] })
    const named = (found: string[]) => found.filter((message) => message.startsWith('template:')).map((message) => /names "([^"]+)"/.exec(message)?.[1])
    expect(named(await problems({ 'aws-region': 'Virginia' }))).toEqual(['scripts/from-default.sh', 'scripts/written.sh'])
    expect(named(await problems({ 'var-file': 'prod.json' }))).toEqual(['scripts/written.sh'])
    expect(named(await problems({ variables: 'oops' }))).toEqual(['scripts/written.sh'])
    writeFileSync(join(workspace, 'number.json'), '{"script": 1}')
    expect(named(await problems({ 'var-file': 'number.json' }))).toEqual(['scripts/written.sh'])
    // A build named from a variable may be another: its provisioners are left out, not one named literally.
    written({ variables: { build: 'web' }, builders: [{ ...builders[0], name: '{{user `build`}}' }], provisioners: [shell] })
    expect((await problems({ 'aws-region': 'Virginia' })).filter((message) => message.startsWith('provisioner'))).toHaveLength(1)
    expect((await problems({ 'var-file': 'prod.json' })).filter((message) => message.startsWith('provisioner'))).toEqual([])
    written({ variables: { build: 'web' }, builders, provisioners: [shell] })
    expect((await problems({ 'var-file': 'prod.json' })).filter((message) => message.startsWith('provisioner'))).toHaveLength(1)
  })
})

describe("a JSON template's provisioners that cannot work on a runner", () => {
  /** The problems provisionerProblems finds in `written` with these inputs, each with where it points. */
  async function refused(written: Record<string, unknown>, inputs: Record<string, string> = {}) {
    writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify(written, null, 2))
    const given = await read(inputs)
    return provisionerProblems(given.jsonProvisionerUses ?? [], given)
  }
  const builders = [
    { type: 'amazon-ebs', name: 'web', communicator: 'none' },
    { type: 'amazon-ebs', name: 'arm', communicator: 'ssh', ssh_username: 'ubuntu' }
  ]
  const at = (...path: Array<string | number>) => ({ file: 'packer-template.json', value: { path: join(workspace, 'packer-template.json'), at: path } })

  it('refuses a shell provisioner that runs in a build with "communicator": "none", on its type, naming the builder and what to do', async () => {
    const problems = await refused({ builders, provisioners: [{ type: 'shell-local', inline: ['true'] }, { type: 'shell', inline: ['uptime'] }] })
    expect(problems).toEqual([
      {
        message:
          'provisioner "shell" runs on the instance through a communicator, and its build connects none (web has ' +
          '"communicator": "none"): packer validate accepts it, but Packer launches the instance and the provisioner fails there, ' +
          'after retrying its upload for 5 minutes. Give the builder a communicator ("communicator": "ssh", with "ssh_username"), ' +
          'or run the commands on the runner with a shell-local provisioner.',
        location: at('provisioners', 1, 'type')
      }
    ])
  })

  it('names an unnamed builder by its type, and refuses each type that works through the communicator', async () => {
    const types = ['shell', 'file', 'powershell', 'windows-shell', 'shell-local', 'windows-restart']
    const problems = await refused({ builders: [{ type: 'amazon-ebs', communicator: 'none' }], provisioners: types.map((type) => ({ type })) })
    expect(problems.map(({ message }) => /^provisioner "([\w-]+)"/.exec(message)?.[1])).toEqual(['shell', 'file', 'powershell', 'windows-shell', 'windows-restart'])
    expect(problems[0].message).toContain('(amazon-ebs has "communicator": "none")')
  })

  it('does not refuse it where the build connects, the communicator is a variable, or no build that runs it connects none', async () => {
    const shell = { type: 'shell', inline: ['uptime'] }
    expect(await refused({ builders: [builders[1]], provisioners: [shell] })).toEqual([])
    expect(await refused({ builders: [{ type: 'amazon-ebs', communicator: '{{user `c`}}' }], variables: { c: 'none' }, provisioners: [shell] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, only: ['arm'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, except: ['web'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, only: ['{{user `b`}}'] }], variables: { b: 'web' } })).toEqual([])
    expect(await refused({ builders, provisioners: [shell] }, { only: 'arm' })).toEqual([])
    expect(await refused({ builders, provisioners: [shell] }, { except: 'web' })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, only: [] }] })).toHaveLength(1)
    // Packer refuses these itself, in validate, naming the setting.
    expect(await refused({ builders, provisioners: [{ ...shell, only: ['web'], except: ['arm'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, only: ['web', 'wbe'] }] })).toEqual([])
    // A build whose name only Packer knows is left to Packer.
    expect(await refused({ builders: [{ ...builders[0], name: '{{user `n`}}-{{timestamp}}' }], variables: { n: 'x' }, provisioners: [shell] })).toEqual([])
  })

  it("refuses a shell error-cleanup-provisioner in such a build, whatever its only and except, which Packer ignores", async () => {
    const problems = await refused({ builders, 'error-cleanup-provisioner': { type: 'shell', inline: ['uptime'], only: ['arm'] } })
    expect(problems).toEqual([
      {
        message:
          'error-cleanup-provisioner "shell" runs on the instance through a communicator, and its build connects none (web has ' +
          '"communicator": "none"): packer validate accepts it, but once the build has failed, Packer runs it on the instance, ' +
          'where it fails too, after retrying its upload for 5 minutes. Give the builder a communicator ("communicator": "ssh", ' +
          'with "ssh_username"), or run the commands on the runner with a shell-local provisioner.',
        location: at('error-cleanup-provisioner', 'type')
      }
    ])
    expect(await refused({ builders, 'error-cleanup-provisioner': { type: 'shell-local', inline: ['true'] } })).toEqual([])
  })

  it("refuses a shell-local's script whose path holds a space, on the script, in a provisioner and a post-processor chain", async () => {
    const problems = await refused({
      builders,
      provisioners: [{ type: 'shell-local', script: 'scripts/set up.sh' }],
      'post-processors': [[{ type: 'manifest' }, { type: 'shell-local', scripts: ['ok.sh', 'scripts/tidy up.sh'] }]]
    })
    expect(problems.map(({ location }) => location)).toEqual([at('provisioners', 0, 'script'), at('post-processors', 0, 1, 'scripts', 1)])
    // The whole text is pinned for HCL2 (hcl.test.ts): here, what a JSON template changes in it.
    expect(problems[0].message).toMatch(/^provisioner "shell-local" runs the script "scripts\/set up\.sh" /)
    expect(problems[0].message).toContain(`(${join(workspace, 'scripts/set up.sh')})`)
    expect(problems[0].message).toContain(`or quote the path: set "execute_command": ["/bin/sh", "-c", "{{.Vars}} '{{.Script}}'"].`)
    expect(problems[1].message).toMatch(/^post-processor "shell-local" runs the script "scripts\/tidy up\.sh" /)
    expect(problems[1].message).toContain('the build fails once Packer has made the AMIs.')
  })

  it("leaves a shell-local's script to Packer where it is made from variables, execute_command is set, or no build runs it", async () => {
    const spaced = { type: 'shell-local', script: 'set up.sh' }
    expect(await refused({ builders, provisioners: [{ ...spaced, script: '{{user `dir`}}/set up.sh' }], variables: { dir: 'a' } })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...spaced, execute_command: ['/bin/sh', '-c', "{{.Vars}} '{{.Script}}'"] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...spaced, only_on: ['darwin'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [spaced] }, { except: 'web,arm', command: 'validate' })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...spaced, only: ['arm'] }] }, { only: 'web' })).toEqual([])
    expect(await refused({ builders, 'post-processors': [{ ...spaced, name: 'tidy' }] }, { except: 'tidy' })).toEqual([])
    expect(await refused({ builders, 'post-processors': [[{ type: 'manifest' }, spaced]] }, { except: 'manifest' })).toEqual([])
    expect(await refused({ builders, 'post-processors': [[{ type: 'manifest' }, spaced]] })).toHaveLength(1)
  })

  it("refuses a shell's CRLF script only where binary is literally true and Packer's default runs the file, in a build that runs it", async () => {
    writeFileSync(join(workspace, 'setup.sh'), '#!/bin/bash\r\necho ready\r\n')
    writeFileSync(join(workspace, 'plain.sh'), 'echo ready\r\n')
    const shell = { type: 'shell', binary: true, script: 'setup.sh' }
    const arm = [builders[1]]
    const problems = await refused({ builders: arm, provisioners: [shell, { ...shell, binary: 'true', script: undefined, scripts: ['plain.sh', 'setup.sh'] }] })
    expect(problems.map(({ location }) => location)).toEqual([at('provisioners', 0, 'script'), at('provisioners', 1, 'scripts', 1)])
    expect(problems[0].message).toMatch(/^provisioner "shell" with "binary": true uploads the script "setup\.sh" as it is, /)
    // In a build that connects none, both: the communicator first.
    expect((await refused({ builders: [builders[0]], provisioners: [shell] })).map(({ location }) => location)).toEqual([at('provisioners', 0, 'type'), at('provisioners', 0, 'script')])
    expect(await refused({ builders: arm, provisioners: [{ ...shell, binary: false }] })).toEqual([])
    expect(await refused({ builders: arm, provisioners: [{ ...shell, binary: '{{user `raw`}}' }], variables: { raw: 'true' } })).toEqual([])
    expect(await refused({ builders: arm, provisioners: [{ ...shell, execute_command: 'sudo bash {{.Path}}' }] })).toEqual([])
    expect(await refused({ builders: arm, provisioners: [{ ...shell, override: { arm: { execute_command: 'sudo bash {{.Path}}' } } }] })).toEqual([])
    expect(await refused({ builders: arm, provisioners: [{ ...shell, script: '{{user `dir`}}/setup.sh' }], variables: { dir: '.' } })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...shell, only: ['arm'] }] }, { only: 'web' })).toEqual([])
  })

  it('refuses a breakpoint that is not disabled, in any build that runs it, on its type', async () => {
    const problems = await refused({ builders: [builders[1]], provisioners: [{ type: 'breakpoint', note: 'look' }] })
    expect(problems).toEqual([
      {
        message:
          'provisioner "breakpoint" waits for someone to press Enter, which nobody can in a workflow: Packer builds with ' +
          '-machine-readable, which cannot ask, so packer validate accepts it but the build fails there ("machine-readable UI ' +
          'can\'t ask"). Remove the provisioner, or set "disable": true.',
        location: at('provisioners', 0, 'type')
      }
    ])
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint', disable: false }] })).toHaveLength(1)
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint', disable: 'false' }] })).toHaveLength(1)
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint', disable: true }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint', disable: '{{user `pause`}}' }], variables: { pause: 'false' } })).toEqual([])
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint', only: ['nowhere'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ type: 'breakpoint' }] }, { except: 'web,arm', command: 'validate' })).toEqual([])
    // Packer runs an error-cleanup-provisioner only once the build has failed: a breakpoint there fails nothing that worked.
    expect(await refused({ builders, 'error-cleanup-provisioner': { type: 'breakpoint' } })).toEqual([])
  })

  it('refuses a shell-local\'s or manifest\'s read of what only a communicator gives, in a build that connects none, on the string', async () => {
    const problems = await refused({
      builders,
      provisioners: [{ type: 'shell-local', inline: ['echo {{ build `ID` }}', 'curl {{ build `Host` }}'], environment_vars: ['K={{ build `SSHPrivateKey` }}'] }],
      'post-processors': [[{ type: 'manifest', custom_data: { host: '{{ build `Host` }}' } }, { type: 'shell-local', execute_command: ['sh', '-c', '{{.Vars}} {{.Script}} {{.Host}}'] }]]
    })
    expect(problems.map(({ message, location }) => [/^(.+?), which/.exec(message)?.[1], location?.value?.at])).toEqual([
      ['inline of provisioner "shell-local" reads {{ build `Host` }}', ['provisioners', 0, 'inline', 1]],
      ['environment_vars of provisioner "shell-local" reads {{ build `SSHPrivateKey` }}', ['provisioners', 0, 'environment_vars', 0]],
      ['host in custom_data of post-processor "manifest" reads {{ build `Host` }}', ['post-processors', 0, 0, 'custom_data', 'host']],
      ['execute_command of post-processor "shell-local" reads {{.Host}}', ['post-processors', 0, 1, 'execute_command', 2]]
    ])
    expect(problems[0]).toEqual({
      message:
        'inline of provisioner "shell-local" reads {{ build `Host` }}, which Packer has only from a communicator, and its build connects ' +
        'none (web has "communicator": "none"): packer validate accepts it, but Packer gives it the text "<no value>", once it has ' +
        'launched the instance, and the provisioner runs with that. Give the builder a communicator ("communicator": "ssh", with ' +
        '"ssh_username"), or do not read Host there: {{ build `ID` }} (the instance\'s ID), {{ build `PackerRunUUID` }} and the ' +
        "source AMI's data have values without one.",
      location: { ...at('provisioners', 0, 'inline', 1), value: { ...at('provisioners', 0, 'inline', 1).value, itself: true } }
    })
  })

  it('lets through what such a build has, the same reads where the build connects, and those of a build the run leaves out', async () => {
    const reads = { type: 'shell-local', inline: ['echo {{ build `Host` }}'] }
    const rendered = ['echo {{ build `ID` }} {{ build `PackerRunUUID` }} {{ build `SourceAMI` }} {{ build `BuildRegion` }}']
    expect(await refused({ builders, provisioners: [{ type: 'shell-local', inline: rendered, execute_command: ['sh', '-c', '{{.Vars}} {{.Script}} {{.ID}}'] }] })).toEqual([])
    expect(await refused({ builders: [builders[1]], provisioners: [reads] })).toEqual([])
    expect(await refused({ builders, provisioners: [{ ...reads, only: ['arm'] }] })).toEqual([])
    expect(await refused({ builders, provisioners: [reads] }, { only: 'arm' })).toEqual([])
    expect(await refused({ builders, provisioners: [reads] }, { except: 'web' })).toEqual([])
    expect(await refused({ builders, 'post-processors': [[{ type: 'manifest', name: 'm', custom_data: { h: '{{ build `Host` }}' } }]] }, { except: 'm' })).toEqual([])
    // An override gives the build other settings: its own are read in that build alone, and the provisioner's are not.
    expect(await refused({ builders, provisioners: [{ ...reads, override: { web: { inline: ['echo {{ build `ID` }}'] } } }] })).toEqual([])
    const overridden = await refused({ builders, provisioners: [{ type: 'shell-local', inline: ['true'], override: { web: { inline: ['echo {{ build `User` }}'] }, arm: { inline: ['echo {{ build `Port` }}'] } } }] })
    expect(overridden.map(({ location }) => location?.value?.at)).toEqual([['provisioners', 0, 'override', 'web', 'inline', 0]])
    // A communicator's provisioner is refused on its type, once.
    expect(await refused({ builders, provisioners: [{ type: 'shell', inline: ['echo {{ build `Host` }}'] }] })).toHaveLength(1)
  })
})
