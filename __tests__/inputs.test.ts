import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, readInputs, type Inputs } from '../src/inputs/index.js'
import { withHclTemplate } from '../src/inputs/hcl.js'

// The defaults of action.yml, as the runner passes them.
const defaults: Record<string, string> = {
  template: 'packer-template.json',
  'var-file': '',
  variables: '',
  'working-directory': '.',
  only: '',
  except: '',
  command: 'build',
  'packer-version': 'latest',
  'packer-releases-url': 'https://releases.hashicorp.com',
  'packer-signing-key': '',
  plugins: '',
  'github-token': '',
  cache: 'true',
  'on-error': 'cleanup',
  force: 'false',
  manifest: '',
  tags: '',
  'provenance-tags': 'true',
  'tag-snapshots': 'true',
  'aws-region': '',
  summary: 'true'
}

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

function read(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Inputs {
  const all = { ...defaults, ...inputs }
  return readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace, ...env })
}

function problems(inputs: Record<string, string>, env: Record<string, string> = {}): string[] {
  try {
    read(inputs, env)
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => p.message)
    throw error
  }
  throw new Error('expected the inputs to be rejected')
}

describe('readInputs with the defaults', () => {
  it('reads a JSON template, its builds and its manifest output', () => {
    const inputs = read()
    expect(inputs.templateKind).toBe('json')
    expect(inputs.buildNames).toEqual(['web', 'arm'])
    expect(inputs.builderTypes).toEqual(['amazon-ebs'])
    expect(inputs.manifest).toBe(join(workspace, 'out/manifest.json'))
    expect(inputs.varFiles).toEqual([])
    expect(inputs.command).toBe('build')
    expect(inputs.onError).toBe('cleanup')
  })

  it('uses packer-vars.json beside a JSON template when var-file is empty', () => {
    writeFileSync(join(workspace, 'packer-vars.json'), '{"region": "us-east-1"}')
    const inputs = read()
    expect(inputs.varFiles).toEqual(['packer-vars.json'])
    expect(inputs.defaultVarFile).toBe('packer-vars.json')
  })

  it('finds templates and var files relative to working-directory', async () => {
    mkdirSync(join(workspace, 'images/web'), { recursive: true })
    writeFileSync(join(workspace, 'images/web/ami.pkr.hcl'), 'build {\n  post-processor "manifest" {\n    output = "m.json"\n  }\n}\n')
    writeFileSync(join(workspace, 'images/web/prod.pkrvars.hcl'), 'x = 1\n')
    const inputs = read({ 'working-directory': 'images/web', template: 'ami.pkr.hcl', 'var-file': 'prod.pkrvars.hcl' })
    expect(inputs.workingDirectory).toBe(join(workspace, 'images/web'))
    expect(inputs.templateKind).toBe('hcl')
    expect(inputs.varFiles).toEqual(['prod.pkrvars.hcl'])
    expect((await withHclTemplate(inputs)).manifest).toBe(join(workspace, 'images/web/m.json'))
  })

  it('provenance tags are added, and user tags with them', () => {
    const inputs = read({ tags: 'Team=platform\nName=web' }, { GITHUB_SHA: 'abc123', GITHUB_REPOSITORY: 'acme/images' })
    expect(inputs.tags).toMatchObject({ Team: 'platform', Name: 'web', SourceCommit: 'abc123' })
    expect(read({ 'provenance-tags': 'false', tags: 'Team=x' }).tags).toEqual({ Team: 'x' })
  })

  it('takes the home region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(read({}, { AWS_DEFAULT_REGION: 'eu-west-1' }).awsRegion).toBe('eu-west-1')
    expect(read({}, { AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' }).awsRegion).toBe('us-east-2')
    expect(read({ 'aws-region': 'ap-south-1' }, { AWS_REGION: 'us-east-2' }).awsRegion).toBe('ap-south-1')
  })

  it('accepts versions, ranges and latest', () => {
    for (const version of ['latest', '1.11.2', '~1.11', '>=1.10 <2', '1.x']) {
      expect(read({ 'packer-version': version }).packerVersion).toBe(version)
    }
  })

  it('reads variables, only and except', () => {
    const inputs = read({ variables: 'region=us-east-1\nami_name=web {{timestamp}}', only: 'web, arm', except: '' })
    expect(inputs.variables).toEqual([
      { name: 'region', value: 'us-east-1' },
      { name: 'ami_name', value: 'web {{timestamp}}' }
    ])
    expect(inputs.only).toEqual(['web', 'arm'])
  })
})

describe('readInputs rejects each bad input with its own message', () => {
  it('a missing template', () => {
    expect(problems({ template: 'nope.json' })).toEqual([
      'template: expected a Packer template at "nope.json" in ".", found no such file'
    ])
  })

  it('a missing working directory', () => {
    expect(problems({ 'working-directory': 'missing' })).toEqual([
      'working-directory: expected a directory, found none at "missing"'
    ])
  })

  it('a JSON template that does not parse, with file, line and column', () => {
    writeFileSync(join(workspace, 'broken.json'), '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n')
    try {
      read({ template: 'broken.json' })
      throw new Error('expected a rejection')
    } catch (error) {
      const [problem] = (error as InputError).problems
      expect(problem.message).toMatch(/^template: broken\.json is not valid JSON at line 4, column 3: /)
      expect(problem.location).toEqual({ file: 'broken.json', line: 4, column: 3 })
    }
  })

  it('a JSON template without builders', () => {
    writeFileSync(join(workspace, 'empty.json'), '{}')
    expect(problems({ template: 'empty.json' })).toEqual([
      'template: empty.json is not a Packer JSON template: expected "builders" to be a non-empty array'
    ])
  })

  it('a directory with no HCL2 files', () => {
    mkdirSync(join(workspace, 'packer'))
    expect(problems({ template: 'packer' })).toEqual([
      'template: expected .pkr.hcl or .pkr.json files in the directory "packer", found none'
    ])
  })

  it('a missing var file and a var file that does not parse', () => {
    writeFileSync(join(workspace, 'bad-vars.json'), '{"a": "b",}')
    expect(problems({ 'var-file': 'missing.json\nbad-vars.json' })).toEqual([
      'var-file: expected a variables file at "missing.json" in ".", found no such file',
      expect.stringMatching(/^var-file: bad-vars\.json is not valid JSON at line 1, column 11/)
    ])
  })

  it('a JSON template var file with a value that is not a string', () => {
    writeFileSync(join(workspace, 'vars.json'), '{"count": 2}')
    expect(problems({ 'var-file': 'vars.json' })).toEqual([
      'var-file: vars.json: expected variable "count" to be a string (or null), found 2'
    ])
  })

  it('variables that are not NAME=VALUE', () => {
    expect(problems({ variables: 'region us-east-1' })).toEqual([
      'variables: expected NAME=VALUE with a variable name, found "region us-east-1"'
    ])
  })

  it('a JSON variables file with null, as Packer accepts it', () => {
    writeFileSync(join(workspace, 'vars.json'), '{"containerd_sha256": null, "region": "us-east-1"}')
    expect(read({ 'var-file': 'vars.json' }).varFiles).toEqual(['vars.json'])
  })

  it('a glob in only or except for a JSON template, which Packer would ignore', () => {
    expect(problems({ only: 'w*', except: 'arm,x?' })).toEqual([
      expect.stringMatching(/^only: "w\*" is a pattern, and Packer matches only exact build names in a JSON template .*\(the template's builds: web, arm\)$/),
      expect.stringMatching(/^except: "x\?" is a pattern/)
    ])
  })

  it('a build name from a user variable, known from a variables file', () => {
    writeFileSync(
      join(workspace, 'packer-template.json'),
      JSON.stringify({ builders: [{ type: 'amazon-ebs', name: '{{user `build_name`}}' }] })
    )
    writeFileSync(join(workspace, 'os.json'), '{"build_name": "ubuntu-20.04"}')
    expect(read({ 'var-file': 'os.json', only: 'ubuntu-20.04' }).buildNames).toEqual(['ubuntu-20.04'])
    expect(problems({ 'var-file': 'os.json', only: 'ubuntu-22.04' })).toEqual([
      'only: the template has no build named "ubuntu-22.04" (its builds: ubuntu-20.04)'
    ])
    // Known only at build time: Packer decides.
    expect(read({ only: 'anything' }).buildNamesKnown).toBe(false)
  })

  it('only and except naming builds the template does not have', () => {
    expect(problems({ only: 'web,windows', except: 'linux' })).toEqual([
      'only: the template has no build named "windows" (its builds: web, arm)',
      'except: the template has no build named "linux" (its builds: web, arm)'
    ])
  })

  it('an unknown command or on-error mode', () => {
    expect(problems({ command: 'deploy', 'on-error': 'ask' })).toEqual([
      'command: expected one of build, validate, found "deploy"',
      'on-error: expected one of cleanup, abort, run-cleanup-provisioner, found "ask"'
    ])
  })

  it('a packer-version that is neither a version nor a range', () => {
    expect(problems({ 'packer-version': 'newest' })).toEqual([
      'packer-version: expected latest, a version such as 1.11.2 or a range such as ~1.11, found "newest"'
    ])
  })

  it('a releases URL that is not http(s) and a signing key that is not armored', () => {
    expect(problems({ 'packer-releases-url': 'ftp://mirror', 'packer-signing-key': 'abc' })).toEqual([
      'packer-releases-url: expected an http(s) URL, found "ftp://mirror"',
      'packer-signing-key: expected an ASCII-armored PGP public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)'
    ])
  })

  it('booleans that are not true or false', () => {
    expect(problems({ force: 'yes', summary: '1' })).toEqual([
      'force: expected true or false, found "yes"',
      'summary: expected true or false, found "1"'
    ])
  })

  it('tags that break EC2 rules, counting provenance tags', () => {
    const fortySix = Array.from({ length: 46 }, (_, i) => `k${i}=v`).join('\n')
    expect(
      problems(
        { tags: fortySix },
        { GITHUB_REPOSITORY: 'a/b', GITHUB_SHA: 'c', GITHUB_REF: 'refs/heads/main', GITHUB_RUN_ID: '1' }
      )
    ).toEqual([expect.stringMatching(/^tags: EC2 allows at most 50 tags .* found 51/)])
    expect(problems({ tags: 'aws:x=1' })).toEqual(['tags: the "aws:" prefix is reserved for AWS, found key "aws:x"'])
  })

  it('a region that is not a region, naming where it came from', () => {
    expect(problems({ 'aws-region': 'Virginia' })).toEqual([
      'aws-region: expected an AWS region such as us-east-1, found "Virginia"'
    ])
    expect(problems({}, { AWS_REGION: 'us_east_1' })).toEqual([
      'AWS_REGION: expected an AWS region such as us-east-1, found "us_east_1"'
    ])
  })

  it('reports every problem at once', () => {
    expect(problems({ command: 'x', force: 'y', 'packer-version': 'z' })).toHaveLength(3)
  })
})
