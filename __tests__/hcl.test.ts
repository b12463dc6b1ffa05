// HCL2 templates read with the HCL parser: the files are parsed for real, no stand-in.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import type { SensitiveValue } from '../src/common/values.js'
import type { Inputs } from '../src/inputs/index.js'
import { checkHclBuildSelection } from '../src/inputs/hcl-build-selection.js'
import { sourceReferenceProblems } from '../src/inputs/source-references.js'
import { quotedReferenceWarnings } from '../src/inputs/quoted-references.js'
import { buildVariableProblems, provisionerProblems } from '../src/inputs/build-variables.js'
import {
  hclAmiBuilds,
  hclBuildBlock,
  hclLocals,
  hclBuildCount,
  hclBuildlessProblems,
  hclBuildNames,
  hclBuildTypes,
  hclProvisionerTypes,
  hclBuildVariableUses,
  hclDurationProblems,
  hclSourceDataProblems,
  hclTemplateDataProblems,
  hclProvisionerUses,
  hclSecretReads,
  hclSelectionWarnings,
  hclNamesMayHoldComma,
  hclRenamesSources,
  hclManifestOutput,
  hclPostProcessorNames,
  hclRequiredPlugins,
  hclRunScope,
  hclSensitiveValues,
  hclStringValue,
  hclTemplateFiles,
  hclVariableCandidates,
  parseHclFile,
  readHclFile,
  readHclTemplate,
  type HclTemplate
} from '../src/inputs/hcl.js'

const run = promisify(execFile)

let directory: string
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'hcl-'))
})
afterEach(() => rmSync(directory, { recursive: true, force: true }))

async function parsed(files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
  return Promise.all(hclTemplateFiles(directory).map((file) => parseHclFile(file)))
}


/** The values alone, without the variable or local that holds each. */
const valuesOf = (values: SensitiveValue[]): string[] => values.map(({ value }) => value)

describe('parseHclFile', () => {
  const parse = async (text: string) => {
    writeFileSync(join(directory, 'x.pkr.hcl'), text)
    return parseHclFile(join(directory, 'x.pkr.hcl'))
  }

  it('gives blocks by type and label, attributes as values, other expressions as ${source}', async () => {
    expect(
      await parse(`# a comment
source "amazon-ebs" "web" {
  ami_name      = "web-\${local.stamp}"
  instance_type = var.size
  volume_size   = 8
  encrypted     = true
  copy          = !true
  kms_key_id    = null
  tags          = { Name = "web", "team-x" = upper("a"), nested.key = [1, -2, -0, -0.0] }
}
source "amazon-ebs" "db" {}
build {
  sources = ["source.amazon-ebs.web"]
}
build {
  name = "second"
}
`)
    ).toEqual({
      source: {
        'amazon-ebs': {
          web: [
            {
              ami_name: 'web-${local.stamp}',
              instance_type: '${var.size}',
              volume_size: 8,
              encrypted: true,
              copy: false,
              kms_key_id: null,
              tags: { Name: 'web', 'team-x': '${upper("a")}', 'nested.key': [1, -2, 0, 0] }
            }
          ],
          db: [{}]
        }
      },
      build: [{ sources: ['source.amazon-ebs.web'] }, { name: 'second' }]
    })
  })

  it('reads escapes, heredocs and flush heredocs as HCL does', async () => {
    expect(
      await parse(
        [
          'quoted = "tab\\tquote\\"back\\\\slash \\u00e9 $${literal} %%{literal}"',
          'mixed  = "$${kept}-${var.x}"',
          'strip  = "a ${~ var.x ~} b ${ var.y }"',
          'plain  = <<EOT',
          '  indented',
          '$${not-interpolated}',
          'EOT',
          'flush  = <<-EOT',
          '    four',
          '',
          '      six',
          '    EOT',
          'empty  = ""',
          ''
        ].join('\n')
      )
    ).toEqual({
      // As HCL's JSON syntax writes strings: templates, so a literal ${ is $${.
      quoted: 'tab\tquote"back\\slash \u00e9 $${literal} %%{literal}',
      mixed: '$${kept}-${var.x}',
      strip: 'a${var.x}b ${var.y}',
      plain: '  indented\n$${not-interpolated}\n',
      flush: 'four\n\n  six\n',
      empty: ''
    })
  })

  it('refuses $ or % right before an escaped ${ or %{ that does not close, which HashiCorp\'s parser reads', async () => {
    // A limit of tree-sitter's HCL grammar, which reads `$$${` as `$$` and an interpolation: such
    // a file is reported as not read (the job warns). Where the braces close, the text comes out
    // as HashiCorp's parser gives it.
    await expect(parse('a = "$$${"\n')).rejects.toThrow(/not valid HCL/)
    await expect(parse('a = "%%%{"\n')).rejects.toThrow(/not valid HCL/)
    expect(await parse('a = "$$ $$${HOME} %%{x}"\n')).toEqual({ a: '$$ $$${HOME} %%{x}' })
  })

  it('reads a number with an exponent and no fraction, which tree-sitter\'s grammar reads only with one', async () => {
    expect(
      await parse(
        [
          'a = 1e3',
          'b = [1E-2, -2e+1, 007e2]',
          'c = { x = 1e3, 5e1 = "key" }',
          'd = 1e3 + var.x',
          'e = "é ${var.x * 2e2} 1e3"',
          'f = <<EOT',
          '  ${var.y}e3 1e3',
          'EOT',
          'source "amazon-ebs" "x" {',
          '  volume_size = 8e1',
          '}',
          ''
        ].join('\n')
      )
    ).toEqual({
      a: 1000,
      b: [0.01, -20, 700],
      c: { x: 1000, '50': 'key' },
      d: '${1e3 + var.x}',
      e: 'é ${var.x * 2e2} 1e3',
      f: '  ${var.y}e3 1e3\n',
      source: { 'amazon-ebs': { x: [{ volume_size: 80 }] } }
    })
    // Read as the number 1 and a name, `e3` would take the next line's block for its own.
    expect(await parse('size = var.gb * 1e3\nsource "amazon-ebs" "web" {\n}\n')).toEqual({
      size: '${var.gb * 1e3}',
      source: { 'amazon-ebs': { web: [{}] } }
    })
    // A file it still cannot read is refused where the parser stops, not at the number.
    await expect(parse('a = 1e3\nb = [1e3, "$$${"]\n')).rejects.toThrow(/x\.pkr\.hcl:2:\d+: not valid HCL: unexpected text$/)
  })

  it('refuses a file that is not valid HCL, naming the file and the line', async () => {
    await expect(parse('variable "x" {\n  default = [\n}\n')).rejects.toThrow(/x\.pkr\.hcl:2:\d+: not valid HCL: unexpected text$/)
  })

  it('tells what a file opens and never closes, where it opens, when that is what the parser finds missing', async () => {
    const unclosed = (text: string) => parse(text).then(() => undefined, (error: { line: number; unclosed?: unknown }) => ({ line: error.line, unclosed: error.unclosed }))
    // Where the closer is wanted (the file's end, or what cannot be in a list), and what opens there.
    expect(await unclosed('source "amazon-ebs" "a" {\n  region = "x"\n')).toEqual({ line: 3, unclosed: { opener: 'block', closer: '}', line: 1, column: 1 } })
    expect(await unclosed('a = f({ b = 1 )\n')).toEqual({ line: 1, unclosed: { opener: 'object', closer: '}', line: 1, column: 7 } })
    expect(await unclosed('a = ["x"\nb = 1\n')).toEqual({ line: 2, unclosed: { opener: 'tuple', closer: ']', line: 1, column: 5 } })
    expect(await unclosed('a = env("X"\nb = 1\n')).toEqual({ line: 2, unclosed: { opener: 'call', closer: ')', line: 1, column: 8 } })
    expect(await unclosed('x {\n  a = <<-END\n    text\n}\n')).toEqual({ line: 5, unclosed: { opener: 'heredoc', closer: 'END', line: 2, column: 7 } })
    // A number read again with a fraction (exponentsWithoutFraction) moves nothing.
    expect(await unclosed('a = 1e3\nb = [1e3\nc = 1\n')).toEqual({ line: 3, unclosed: { opener: 'tuple', closer: ']', line: 2, column: 5 } })
    // Text the parser had to skip: what it guessed was meant is not told.
    expect(await unclosed('variable "x" {\n  default = [\n}\n')).toEqual({ line: 2, unclosed: undefined })
    expect(await unclosed('a = {\n  b = 1\n')).toMatchObject({ unclosed: undefined })
  })
})

describe('hclManifestOutput', () => {
  it('finds the manifest post-processor beside a nested custom_data block', async () => {
    const files = await parsed({
      'build.pkr.hcl': `build {
  sources = ["source.amazon-ebs.x"]
  post-processor "shell-local" { inline = ["echo {"] }
  post-processor "manifest" {
    output     = "packer_manifest.json"
    strip_path = true
    custom_data = {
      version_fingerprint = "abc"
    }
  }
}
`
    })
    expect(hclManifestOutput(files)).toEqual({ output: 'packer_manifest.json', found: true })
  })

  it('looks inside post-processors chains and .pkr.json files, and leaves expressions to the default', async () => {
    expect(
      hclManifestOutput(
        await parsed({
          'a.pkr.hcl': 'build {\n  post-processors {\n    post-processor "manifest" {\n      output = "${var.dir}/m.json"\n    }\n  }\n}\n'
        })
      )
    ).toEqual({ output: '${var.dir}/m.json', found: true })
    rmSync(join(directory, 'a.pkr.hcl'))
    expect(
      hclManifestOutput(await parsed({ 'b.pkr.json': JSON.stringify({ build: { 'post-processor': { manifest: { output: 'j.json' } } } }) }))
    ).toEqual({ output: 'j.json', found: true })
  })
})

describe('hclPostProcessorNames', () => {
  it("names each post-processor by its name, or type when unnamed, in chains too; none when a name is Packer's to work out", async () => {
    const text = (name: string) => `build {
  post-processor "manifest" {}
  post-processors {
    post-processor "shell-local" {
      name   = ${name}
      inline = ["echo"]
    }
    post-processor "checksum" {}
  }
}
`
    expect(hclPostProcessorNames(await parsed({ 'a.pkr.hcl': text('"notify"') }))).toEqual(['manifest', 'notify', 'checksum'])
    expect(hclPostProcessorNames(await parsed({ 'a.pkr.hcl': text('"notify-${var.env}"') }))).toBeUndefined()
  })

  it('names every post-processor of a type, so that except may name the second one', async () => {
    const files = await parsed({
      'a.pkr.hcl': `build {
  sources = ["source.null.x"]
  post-processor "shell-local" {
    name   = "notify-start"
    inline = ["echo start"]
  }
  post-processor "shell-local" {
    name   = "notify-slack"
    inline = ["echo slack"]
  }
}
`
    })
    const names = hclPostProcessorNames(files)
    expect(names).toEqual(['notify-start', 'notify-slack'])
    expect(checkHclBuildSelection({ only: [], except: ['notify-slack'] }, ['null.x'], names)).toEqual([])
  })
})

describe('hclRequiredPlugins', () => {
  it('reads declarations whatever their layout, and nothing from strings or heredocs', async () => {
    const spaced = await parsed({
      'plugins.pkr.hcl': `packer {
  required_plugins {
    amazon = {
      version = ">= 1.2.0" # comment
      source  = "github.com/hashicorp/amazon"
    }
  }
}
locals {
  text = <<EOT
required_plugins { fake = { source = "github.com/x/fake" } }
EOT
}
`
    })
    const compact = await parsed({
      'plugins.pkr.hcl': 'packer {\n  required_plugins {\n    amazon = { source = "github.com/hashicorp/amazon", version = ">= 1.2.0" }\n  }\n}\n'
    })
    expect(hclRequiredPlugins(spaced)).toEqual([
      JSON.stringify({ amazon: { source: 'github.com/hashicorp/amazon', version: '>= 1.2.0' } })
    ])
    expect(hclRequiredPlugins(compact)).toEqual(hclRequiredPlugins(spaced))
  })
})

describe('hclRunScope: the environment the variables read, as the fingerprint takes it', () => {
  it("takes the env() of a default and a declared variable's PKR_VAR_, where the value that wins reads them; of a sensitive variable or credentials, the name", async () => {
    const files = await parsed({
      'vars.pkr.hcl': `variable "base" {
  default = "\${env("BASE_PREFIX")}-\${env("BASE_NAME")}"
}
variable "region" {
  default = env("AWS_REGION")
}
variable "regions" {
  default = [env("COPY_REGION")]
}
variable "token" {
  default   = env("API_TOKEN")
  sensitive = true
}
variable "key" {
  default = env("AWS_SECRET_ACCESS_KEY")
}
variable "type" {
  default = "t3.micro"
}
variable "from_file" {
  default = env("OVERRIDDEN")
}
variable "written" {
  default = "$\${env(\\"ESCAPED\\")}"
}
variables {
  size = env("VOLUME_SIZE")
}
`,
      'more.pkr.json': JSON.stringify({ variable: { json_syntax: { default: '${env("JSON_SYNTAX")}' } } })
    })
    writeFileSync(join(directory, 'prod.pkrvars.hcl'), 'from_file = "x"\n')
    const env = {
      ...{ BASE_PREFIX: 'p', BASE_NAME: 'n', AWS_REGION: 'us-west-2', COPY_REGION: 'eu-west-1', API_TOKEN: 'api-secret', AWS_SECRET_ACCESS_KEY: 'aws-secret' },
      ...{ OVERRIDDEN: 'o', ESCAPED: 'e', VOLUME_SIZE: '8', JSON_SYNTAX: 'j', PKR_VAR_type: 't3.large', PKR_VAR_token: 'pkr-secret', PKR_VAR_undeclared: 'u' }
    }
    const request = { workingDirectory: directory, template: '.', varFiles: ['prod.pkrvars.hcl'], variables: [], awsRegion: 'eu-central-1' }
    const { environment } = await hclRunScope(files, request, env)
    // AWS_REGION as Packer is given it: the home region. API_TOKEN and OVERRIDDEN are read by no value that wins.
    expect(environment).toEqual([
      ['AWS_REGION', 'eu-central-1'],
      ['AWS_SECRET_ACCESS_KEY'],
      ['BASE_NAME', 'n'],
      ['BASE_PREFIX', 'p'],
      ['COPY_REGION', 'eu-west-1'],
      ['JSON_SYNTAX', 'j'],
      ['PKR_VAR_token'],
      ['PKR_VAR_type', 't3.large'],
      ['VOLUME_SIZE', '8']
    ])
    // The input variables win over PKR_VAR_.
    const given = await hclRunScope(files, { ...request, variables: [{ name: 'type', value: 't3.small' }] }, env)
    expect(given.environment.map(([name]) => name)).not.toContain('PKR_VAR_type')
  })
})

describe('hclSensitiveValues', () => {
  it('takes every value a sensitive variable can have: default, auto and given files, PKR_VAR_, variables', async () => {
    const files = await parsed({
      'vars.pkr.hcl': `variable "token" {
  type      = string
  default   = "from-default"
  sensitive = true
}
variable "region" {
  type    = string
  default = "us-east-1"
}
variable "keys" {
  type      = list(string)
  sensitive = true
  default   = ["key-one", "key-two"]
}
`,
      'release.auto.pkrvars.hcl': 'token = "from-auto"\nregion = "eu-west-1"\n'
    })
    writeFileSync(join(directory, 'prod.pkrvars.hcl'), 'token = <<EOT\nline-one\nline-two\nEOT\n')
    writeFileSync(join(directory, 'more.json'), '{"token": "from-json"}')
    const candidates = await hclVariableCandidates(
      files,
      directory,
      [join(directory, 'prod.pkrvars.hcl'), join(directory, 'more.json')],
      [{ name: 'token', value: 'from-input' }, { name: 'region', value: 'us-west-2' }],
      { PKR_VAR_token: 'from-env', PKR_VAR_region: 'ap-south-1' }
    )
    // In Packer's order of precedence, lowest first.
    expect(candidates.get('region')).toEqual(['us-east-1', 'ap-south-1', 'eu-west-1', 'us-west-2'])
    const values = hclSensitiveValues(files, candidates)
    expect(valuesOf(values).sort()).toEqual(
      ['from-default', 'key-one', 'key-two', 'from-auto', 'line-one\nline-two\n', 'from-json', 'from-env', 'from-input'].sort()
    )
  })

  it('masks what Packer prints: a literal ${ escaped in the file as $${ is ${', async () => {
    const files = await parsed({
      'vars.pkr.hcl': 'variable "password" {\n  sensitive = true\n  default = "pa$${ss%%{w"\n}\n',
      'list.auto.pkrvars.hcl': 'password = ["x$${y}"]\n'
    })
    const candidates = await hclVariableCandidates(files, directory, [], [], {})
    expect(hclSensitiveValues(files, candidates)).toEqual([
      { value: 'pa${ss%{w', of: 'variable', name: 'password' },
      { value: 'x${y}', of: 'variable', name: 'password' }
    ])
  })

  it('reads a list or map given as text (variables, PKR_VAR_) as HCL, as Packer does for such a type', async () => {
    const files = await parsed({
      'vars.pkr.hcl': `variable "keys" {
  type      = map(string)
  sensitive = true
}
variable "tokens" {
  type      = list(string)
  sensitive = true
}
variable "plain" {
  type      = string
  sensitive = true
}
variable "untyped" {
  sensitive = true
}
`
    })
    const candidates = await hclVariableCandidates(
      files,
      directory,
      [],
      [
        { name: 'keys', value: '{ prod = "k-prod", dev = "k-$${dev}" }' },
        { name: 'plain', value: '["as-written"]' },
        { name: 'untyped', value: '{ a = "as-written-too" }' },
        { name: 'tokens', value: '["unclosed' }
      ],
      { PKR_VAR_tokens: '["t-one", "t-two"]' }
    )
    // The text as given, then the value Packer reads from it, which wins.
    expect(candidates.get('keys')).toEqual(['{ prod = "k-prod", dev = "k-$${dev}" }', { prod: 'k-prod', dev: 'k-${dev}' }])
    expect(candidates.get('tokens')).toEqual(['["t-one", "t-two"]', ['t-one', 't-two'], '["unclosed'])
    expect(valuesOf(hclSensitiveValues(files, candidates)).sort()).toEqual(
      [
        '{ prod = "k-prod", dev = "k-$${dev}" }', 'k-prod', 'k-${dev}',
        '["t-one", "t-two"]', 't-one', 't-two', '["unclosed',
        '["as-written"]', '{ a = "as-written-too" }'
      ].sort()
    )
  })

  it('types a variable without a type by its default, as Packer does, to read a value given as text', async () => {
    const files = await parsed({
      'vars.pkr.hcl': `variable "keys" {
  default   = { prod = "none" }
  sensitive = true
}
variable "flag" {
  default   = null
  sensitive = true
}
variable "name" {
  default   = "x"
  sensitive = true
}
variables {
  pairs = { a = "b" }
}
`
    })
    const candidates = await hclVariableCandidates(
      files,
      directory,
      [],
      [
        { name: 'keys', value: '{ prod = "k-prod" }' },
        { name: 'flag', value: '["f-one"]' },
        { name: 'name', value: '["as-written"]' },
        { name: 'pairs', value: '{ a = "p-one" }' }
      ],
      {}
    )
    expect(candidates.get('keys')).toEqual([{ prod: 'none' }, '{ prod = "k-prod" }', { prod: 'k-prod' }])
    expect(candidates.get('flag')).toEqual([null, '["f-one"]', ['f-one']])
    expect(candidates.get('name')).toEqual(['x', '["as-written"]'])
    expect(candidates.get('pairs')).toEqual([{ a: 'b' }, '{ a = "p-one" }', { a: 'p-one' }])
  })

  it('reads env("NAME") in a default from the environment, as Packer does', async () => {
    const files = await parsed({
      'vars.pkr.hcl': `variable "token" {
  default   = env("API_TOKEN")
  sensitive = true
}
variable "tokens" {
  default   = ["a-\${env("TOKEN_A")}", env("TOKEN_UNSET")]
  sensitive = true
}
variable "written" {
  default   = "$\${env(\\"API_TOKEN\\")}"
  sensitive = true
}
`
    })
    const candidates = await hclVariableCandidates(files, directory, [], [], { API_TOKEN: 'from-env', TOKEN_A: 'one' })
    expect(candidates.get('token')).toEqual(['from-env'])
    expect(candidates.get('tokens')).toEqual([['a-one', '']])
    // An escaped ${ is text, not a call.
    expect(candidates.get('written')).toEqual(['${env("API_TOKEN")}'])
    expect(valuesOf(hclSensitiveValues(files, candidates)).sort()).toEqual(['${env("API_TOKEN")}', 'a-one', 'from-env'])
  })

  it('takes the values of sensitive locals that it can read, with the value each variable has in this run, and names the others', async () => {
    writeFileSync(
      join(directory, 'locals.pkr.hcl'),
      `variable "user" {
  default = "admin"
}
variable "password" {
  default = "pw-default"
}
variable "keys" {
  type    = list(string)
  default = ["key-a", "key-b"]
}
local "database_url" {
  expression = "postgres://\${var.user}:\${var.password}@\${local.host}/app"
  sensitive  = true
}
local "keys" {
  expression = var.keys
  sensitive  = true
}
local "pair" {
  expression = { id = "id-\${var.user}", secret = "literal-secret" }
  sensitive  = "true"
}
local "from_vault" {
  expression = vault("/secret/data/app", "token")
  sensitive  = true
}
local "mixed" {
  expression = { user = "mixed-\${var.user}", password = data.amazon-secretsmanager.db.value }
  sensitive  = true
}
local "open" {
  expression = "not-secret-\${var.user}"
}
locals {
  host = "db.internal"
}
`
    )
    const request = {
      workingDirectory: directory,
      template: '.',
      varFiles: [],
      variables: [{ name: 'password', value: 'pw-given' }],
      manifest: join(directory, 'packer-manifest.json'),
      manifestGiven: false,
      sensitiveValues: []
    } as unknown as Inputs
    const read = await readHclTemplate(request, { PKR_VAR_keys: '["env-key"]' })
    // Each with the local that holds it.
    expect(read.sensitiveValues.map(({ value, of, name }) => `${of} ${name}: ${value}`).sort()).toEqual(
      [
        'local database_url: postgres://admin:pw-given@db.internal/app',
        'local keys: env-key',
        'local pair: id-admin',
        'local pair: literal-secret',
        'local mixed: mixed-admin'
      ].sort()
    )
    // Only Packer knows these (the job asks it): the part of mixed that is known is masked already.
    expect(read.sensitiveUnknown).toEqual(['from_vault', 'mixed'])
    expect(read.unreadable).toEqual([])
  })

  it('is empty when no variable is sensitive', async () => {
    const files = await parsed({ 'vars.pkr.hcl': 'variable "region" {\n  default = "us-east-1"\n}\n' })
    const candidates = await hclVariableCandidates(files, directory, [], [{ name: 'region', value: 'x' }], {})
    expect(hclSensitiveValues(files, candidates)).toEqual([])
  })
})

describe('hclStringValue', () => {
  const values = {
    variables: new Map<string, unknown>([
      ['dir', 'out'],
      ['name', 'images.json'],
      ['list', ['a']],
      ['endpoint', '${env("X")}'],
      ['stamped', 'm-{{timestamp}}.json']
    ]),
    locals: new Map<string, unknown>([
      ['artifacts', '${path.root}/../artifacts'],
      ['file', '${local.artifacts}/${var.name}'],
      ['plain', 'manifest.json'],
      ['escaped', 'a$${b}'],
      ['dated', '${formatdate("YYYY", timestamp())}'],
      ['loop', '${local.again}'],
      ['again', '${local.loop}'],
      ['count', 3]
    ]),
    path: { root: 'packer', cwd: '/work/space' }
  }
  it('evaluates literal text and input variables', async () => {
    expect(await hclStringValue('m.json', values)).toBe('m.json')
    expect(await hclStringValue('${var.name}', values)).toBe('images.json')
    expect(await hclStringValue('${var.dir}/${var.name}', values)).toBe('out/images.json')
    expect(await hclStringValue('"quoted"\\${var.name}\n', values)).toBe('"quoted"\\images.json\n')
    expect(await hclStringValue('$${var.name}/${var.dir}', values)).toBe('${var.name}/out')
    expect(await hclStringValue('out/$${x}.json', values)).toBe('out/${x}.json')
    expect(await hclStringValue('out/$$${x}.json', values)).toBe('out/$${x}.json')
  })
  it('evaluates env("NAME") only where the scope has the environment, as in a default', async () => {
    const withEnv = { variables: new Map<string, unknown>(), env: { OUT: 'images' } }
    expect(await hclStringValue('${env("OUT")}/m.json', withEnv)).toBe('images/m.json')
    expect(await hclStringValue('${env("UNSET")}', withEnv)).toBe('')
    expect(await hclStringValue('"${env("OUT")}" \\n', withEnv)).toBe('"images" \\n')
    expect(await hclStringValue('${env("OUT")}/m.json', values)).toBeUndefined()
    expect(await hclStringValue('${env(var.dir)}', withEnv)).toBeUndefined()
  })
  it('evaluates path.root, path.cwd and locals made of what it evaluates', async () => {
    expect(await hclStringValue('${path.root}/manifest.json', values)).toBe('packer/manifest.json')
    expect(await hclStringValue('${path.cwd}/out/${var.name}', values)).toBe('/work/space/out/images.json')
    expect(await hclStringValue('${local.file}', values)).toBe('packer/../artifacts/images.json')
    expect(await hclStringValue('${local.plain}', values)).toBe('manifest.json')
    expect(await hclStringValue('${local.escaped}.json', values)).toBe('a${b}.json')
  })
  it('leaves anything else to Packer', async () => {
    expect(await hclStringValue('${local.dir}/m.json', values)).toBeUndefined()
    expect(await hclStringValue('${local.dated}.json', values)).toBeUndefined()
    expect(await hclStringValue('${local.loop}', values)).toBeUndefined()
    expect(await hclStringValue('${local.count}', values)).toBeUndefined()
    expect(await hclStringValue('${path.module}/m.json', values)).toBeUndefined()
    expect(await hclStringValue('${path.root}/m.json', { variables: values.variables })).toBeUndefined()
    expect(await hclStringValue('${var.stamped}', values)).toBeUndefined()
    expect(await hclStringValue('${source.name}.json', values)).toBeUndefined()
    expect(await hclStringValue('${var.missing}', values)).toBeUndefined()
    expect(await hclStringValue('${var.list}', values)).toBeUndefined()
    expect(await hclStringValue('${var.endpoint}', values)).toBeUndefined()
    expect(await hclStringValue('${upper(var.dir)}', values)).toBeUndefined()
    expect(await hclStringValue('{{timestamp}}.json', values)).toBeUndefined()
  })
})

describe('hclBuildCount', () => {
  it('counts one build for each source a build block names or defines, in every file', async () => {
    const files = await parsed({
      'a.pkr.hcl': `build {
  name    = "web"
  sources = ["source.amazon-ebs.a", "source.amazon-ebs.b"]
  source "amazon-ebs.c" {
    name = "c1"
  }
  source "amazon-ebs.c" {
    name = "c2"
  }
}
`,
      'b.pkr.json': JSON.stringify({ build: { sources: ['source.null.d'] } })
    })
    expect(hclBuildCount(files)).toBe(5)
    // Its source blocks name builds of their own (amazon-ebs.c1, amazon-ebs.c2).
    expect(hclRenamesSources(files)).toBe(true)
  })

  it('refuses a template whose build blocks build no source, on the first build block, naming a source it defines', async () => {
    const read = async (files: Record<string, string>) => {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
      const paths = hclTemplateFiles(directory)
      const problems = await hclBuildlessProblems(await Promise.all(paths.map((file) => readHclFile(file))))
      for (const name of Object.keys(files)) rmSync(join(directory, name))
      return problems.map(({ message, location }) => ({ message: message.replace(/^template: [^:]*: /, ''), line: location?.line }))
    }
    const source = 'source "amazon-ebs" "web" {\n  ami_name = "x"\n}\n'
    expect(await read({ 'a.pkr.hcl': source, 'b.pkr.hcl': '\nbuild {\n  post-processor "manifest" {}\n}\n' })).toEqual([
      {
        message:
          'the build block builds no source (it has neither "sources" nor a "source" block): packer validate accepts it, but Packer has ' +
          'no build to run: Packer 1.6.6 succeeds without building anything, newer versions fail with "No builds to run". ' +
          'List the sources it builds: sources = ["source.amazon-ebs.web"].',
        line: 2
      }
    ])
    expect(await read({ 'a.pkr.hcl': source })).toEqual([
      {
        message:
          'the template has no build block, so it builds no source: packer validate accepts it, but Packer has no build to run: ' +
          'Packer 1.6.6 succeeds without building anything, newer versions fail with "No builds to run". ' +
          'Add one: build { sources = ["source.amazon-ebs.web"] }.',
        line: undefined
      }
    ])
    expect((await read({ 'a.pkr.hcl': source, 'b.pkr.hcl': 'build {\n  sources = []\n}\n' }))[0].message).toMatch(
      /^the build block builds no source \(its "sources" is empty, and it has no "source" block\): /
    )
    // One build block that builds a source is enough; so is a source block inside it, or a list only Packer reads.
    expect(await read({ 'a.pkr.hcl': source, 'b.pkr.hcl': 'build {\n}\nbuild {\n  sources = ["source.amazon-ebs.web"]\n}\n' })).toEqual([])
    expect(await read({ 'a.pkr.hcl': source, 'b.pkr.hcl': 'build {\n  source "amazon-ebs.web" {\n    name = "w"\n  }\n}\n' })).toEqual([])
    expect(await read({ 'a.pkr.hcl': source, 'b.pkr.hcl': 'build {\n  sources = var.sources\n}\n' })).toEqual([])
  })

  it('leaves the builds of a dynamic "source" block (Packer 1.7.1 and later) to Packer: no count, no names, nothing built refused or warned of', async () => {
    const file = join(directory, 'image.pkr.hcl')
    writeFileSync(
      file,
      `source "amazon-ebs" "web" {
  ami_name = "web"
}

build {
  dynamic "source" {
    for_each = toset(["small", "large"])
    labels   = ["amazon-ebs.web"]
    content {
      name     = source.value
      ami_name = "web-\${source.value}"
    }
  }

  provisioner "shell-local" {
    only   = ["amazon-ebs.small"]
    inline = ["echo small"]
  }
}
`
    )
    const read = [await readHclFile(file)]
    const files = read.map(({ body }) => body)
    expect(hclBuildCount(files)).toBeUndefined()
    expect(await hclBuildlessProblems(read)).toEqual([])
    expect(hclBuildNames(files)).toBeUndefined()
    expect(await hclAmiBuilds(read)).toBeUndefined()
    expect(await hclSelectionWarnings(read)).toEqual([])
    // Its content names each build, by an expression only Packer works out.
    expect(hclRenamesSources(files)).toBe(true)
    expect(hclNamesMayHoldComma(files)).toBe(true)
    // So does a dynamic "build" block, whose build blocks only Packer makes.
    writeFileSync(file, 'dynamic "build" {\n  for_each = ["a"]\n  content {\n    sources = ["source.amazon-ebs.web"]\n  }\n}\n')
    const dynamicBuild = [await readHclFile(file)]
    expect(hclBuildCount(dynamicBuild.map(({ body }) => body))).toBeUndefined()
    expect(await hclBuildlessProblems(dynamicBuild)).toEqual([])
    rmSync(file)
  })

  it('says when no build block names a build of its own', async () => {
    const files = await parsed({ 'one.pkr.hcl': 'build {\n  source "amazon-ebs.a" {\n    ami_name = "x"\n  }\n}\n' })
    expect(hclRenamesSources(files)).toBe(false)
    rmSync(join(directory, 'one.pkr.hcl'))
  })

  it('says when a build name may hold a comma: written with one, or made by an expression', async () => {
    const cases: Array<[string, boolean]> = [
      ['build {\n  name = "web,blue"\n  sources = ["source.amazon-ebs.a"]\n}\n', true],
      ['build {\n  source "amazon-ebs.a" {\n    name = "a,b"\n  }\n}\n', true],
      ['build {\n  name = "${var.env}-web"\n  sources = ["source.amazon-ebs.a"]\n}\n', true],
      ['build {\n  name = var.build\n  sources = ["source.amazon-ebs.a"]\n}\n', true],
      ['build {\n  name = "web"\n  source "amazon-ebs.a" {\n    name = "a1"\n  }\n}\n', false],
      ['build {\n  sources = ["source.amazon-ebs.a"]\n}\n', false]
    ]
    for (const [text, expected] of cases) {
      expect([text, hclNamesMayHoldComma(await parsed({ 'one.pkr.hcl': text }))]).toEqual([text, expected])
      rmSync(join(directory, 'one.pkr.hcl'))
    }
  })

  it("names each build as Packer builds it: TYPE.NAME, under the name a source block gives, with a named block's name in front", async () => {
    const files = await parsed({
      'a.pkr.hcl': `build {
  name    = "web"
  sources = ["source.amazon-ebs.a", source.amazon-ebs.b]
  source "amazon-ebs.c" {
    name = "c1"
  }
  source "source.amazon-ebs.c" {
    ami_name = "x"
  }
}
`,
      'b.pkr.json': JSON.stringify({ build: { sources: ['source.null.d'] } })
    })
    expect(hclBuildNames(files)).toEqual(['web.amazon-ebs.a', 'web.amazon-ebs.b', 'web.amazon-ebs.c1', 'web.amazon-ebs.c', 'null.d'])
    expect(hclBuildNames(await parsed({ 'vars.pkr.hcl': 'variable "x" {}\n' }))).toEqual(['web.amazon-ebs.a', 'web.amazon-ebs.b', 'web.amazon-ebs.c1', 'web.amazon-ebs.c', 'null.d'])
  })

  it('knows no names where one is made by an expression: only Packer knows those builds', async () => {
    for (const text of [
      'build {\n  name = "${var.env}"\n  sources = ["source.amazon-ebs.a"]\n}\n',
      'build {\n  source "amazon-ebs.a" {\n    name = "${var.name}"\n  }\n}\n',
      'build {\n  source "amazon-ebs.a" {\n    name = var.name\n  }\n}\n',
      'build {\n  sources = "source.amazon-ebs.a"\n}\n'
    ]) {
      expect([text, hclBuildNames(await parsed({ 'one.pkr.hcl': text }))]).toEqual([text, undefined])
      rmSync(join(directory, 'one.pkr.hcl'))
    }
  })

  it('knows the types of the provisioners every build block runs, its error-cleanup-provisioner included', async () => {
    const text = [
      'build {',
      '  sources = ["source.amazon-ebs.a"]',
      '  provisioner "shell" {\n    inline = ["true"]\n  }',
      '  provisioner "ansible" {\n    playbook_file = "site.yml"\n  }',
      '  error-cleanup-provisioner "shell-local" {\n    inline = ["true"]\n  }',
      '}',
      'build {',
      '  sources = ["source.amazon-ebs.b"]',
      '  provisioner "shell" {\n    inline = ["true"]\n  }',
      '}',
      ''
    ].join('\n')
    expect(hclProvisionerTypes(await parsed({ 'one.pkr.hcl': text }))).toEqual(['shell', 'ansible', 'shell-local'])
  })

  it("knows each build's builder type even where only Packer knows its name, and none of a source not named TYPE.NAME", async () => {
    const named = 'build {\n  name = "${var.env}"\n  sources = ["source.null.smoke"]\n  source "amazon-chroot.host" {\n    name = var.name\n  }\n}\n'
    expect(hclBuildTypes(await parsed({ 'one.pkr.hcl': named }))).toEqual(['null', 'amazon-chroot'])
    rmSync(join(directory, 'one.pkr.hcl'))
    expect(hclBuildTypes(await parsed({ 'one.pkr.hcl': 'build {\n  sources = ["${var.source}"]\n}\n' }))).toBeUndefined()
  })

  it('counts one for a single source, and none without a build block', async () => {
    expect(hclBuildCount(await parsed({ 'one.pkr.hcl': 'build {\n  sources = ["source.amazon-ebs.a"]\n}\n' }))).toBe(1)
    rmSync(join(directory, 'one.pkr.hcl'))
    expect(hclBuildCount(await parsed({ 'vars.pkr.hcl': 'variable "x" {}\n' }))).toBe(0)
  })
})

describe('readHclTemplate', () => {
  it('answers, from dist/stages/hcl-template.js in a Node process, what the source answers', async () => {
    writeFileSync(
      join(directory, 'build.pkr.hcl'),
      `packer {
  required_plugins {
    amazon = { source = "github.com/hashicorp/amazon", version = ">= 1.2.0" }
  }
}
variable "out" {
  default = "out"
}
variable "base_ami" {
  default = env("BASE_AMI")
}
variable "api_token" {
  default   = "FromDefault"
  sensitive = true
}
build {
  post-processor "manifest" {
    output = "\${var.out}/manifest.json"
  }
}
`
    )
    writeFileSync(join(directory, 'prod.pkrvars.hcl'), 'api_token = "FromFile"\nout = "images"\n')
    const request = {
      workingDirectory: directory,
      template: '.',
      varFiles: ['prod.pkrvars.hcl'],
      variables: [{ name: 'api_token', value: 'FromVariables' }],
      manifest: join(directory, 'packer-manifest.json'),
      manifestGiven: false,
      sensitiveValues: [{ value: 'FromInput', of: 'variable', name: 'api_token' }]
    } as unknown as Inputs
    const bundled = new URL('../dist/stages/hcl-template.js', import.meta.url).href
    const script = `const { readHclTemplate } = await import(${JSON.stringify(bundled)})
process.stdout.write(JSON.stringify(await readHclTemplate(JSON.parse(process.argv[1]))))`

    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(request)], { env: {} })

    const answer = JSON.parse(stdout)
    expect(answer).toEqual(await readHclTemplate(request, {}))
    expect(answer).toEqual({
      manifest: join(directory, 'images/manifest.json'),
      sensitiveVariables: ['api_token'],
      sensitiveValues: ['FromInput', 'FromDefault', 'FromFile', 'FromVariables'].map((value) => ({ value, of: 'variable', name: 'api_token' })),
      requiredPlugins: ['{"amazon":{"source":"github.com/hashicorp/amazon","version":">= 1.2.0"}}'],
      sensitiveUnknown: [],
      secretReads: [],
      // Read from an environment without it.
      variablesEnvironment: [['BASE_AMI', '']],
      amiBuilds: [],
      buildCount: 0,
      renamesSources: false,
      buildNames: [],
      buildTypes: [],
      provisionerTypes: [],
      namesMayHoldComma: false,
      postProcessorNames: ['manifest'],
      otherManifestOutputs: [],
      manifestFolders: [],
      references: [],
      buildVariableUses: [],
      provisionerUses: [],
      unreadable: [],
      problems: [],
      durationProblems: [],
      templateDataProblems: [],
      regionProblems: [],
      accountProblems: [],
      instanceProfileProblems: [],
      volumeTypeProblems: [],
      misplacedReferenceProblems: [],
      missingReferenceProblems: [],
      imageFilterProblems: [],
      selectionWarnings: [],
      sourceReferenceProblems: [],
      sourceReferenceWarnings: [],
      quotedReferenceWarnings: [],
      // The values the run gives the variables, the sensitive one's too: only matched against Packer's errors.
      pathValues: { variables: { out: 'images', base_ami: '', api_token: 'FromVariables' }, locals: {} },
      // Its build block builds no source.
      buildlessProblems: [
        { message: expect.stringContaining('the build block builds no source'), location: { file: expect.stringContaining('build.pkr.hcl'), line: 16, column: 1 } }
      ],
      variablesProblems: []
    })
  })

  it('reads the sensitive variables and the manifest of a file with a number like 1e3', async () => {
    writeFileSync(
      join(directory, 'build.pkr.hcl'),
      `source "amazon-ebs" "web" {
  volume_size = 1e3
}
variable "api_token" {
  sensitive = true
  default   = "FromDefault"
}
build {
  sources = ["source.amazon-ebs.web"]
  post-processor "manifest" { output = "out/manifest.json" }
}
`
    )
    writeFileSync(join(directory, 'prod.pkrvars.hcl'), 'size = 2e3\napi_token = "FromFile"\n')
    const read = await readHclTemplate(
      {
        workingDirectory: directory,
        template: '.',
        varFiles: ['prod.pkrvars.hcl'],
        variables: [],
        manifest: join(directory, 'packer-manifest.json'),
        manifestGiven: false,
        sensitiveValues: []
      } as unknown as Inputs,
      {}
    )
    expect(read).toMatchObject({
      manifest: join(directory, 'out/manifest.json'),
      sensitiveValues: ['FromDefault', 'FromFile'].map((value) => expect.objectContaining({ value })),
      unreadable: []
    })
  })

  /** A template in a folder of the workspace: reads it as the action does. */
  function readInFolder(template: string, manifest?: string): Promise<HclTemplate> {
    return readHclTemplate(
      {
        workingDirectory: directory,
        template,
        varFiles: [],
        variables: [{ name: 'distro', value: 'debian' }],
        manifest: join(directory, manifest ?? 'packer-manifest.json'),
        manifestGiven: manifest !== undefined,
        sensitiveValues: []
      } as unknown as Inputs,
      {}
    )
  }
  const inFolder = (output: string): void => {
    mkdirSync(join(directory, 'packer'))
    writeFileSync(
      join(directory, 'packer', 'image.pkr.hcl'),
      `variable "distro" {
  default = "ubuntu"
}
locals {
  out = "\${path.root}/../artifacts"
}
build {
  post-processor "manifest" {
    output = ${output}
  }
}
`
    )
  }

  it('reads a directory as Packer does: its .pkr.hcl files, then its .pkr.json files, each by name', async () => {
    const build = (output: string) => ({ build: { sources: ['source.null.x'], 'post-processor': { manifest: { output } } } })
    writeFileSync(join(directory, 'a.pkr.json'), JSON.stringify(build('from-json.json')))
    writeFileSync(join(directory, 'b.pkr.hcl'), 'build {\n  post-processor "manifest" { output = "from-hcl.json" }\n}\n')
    writeFileSync(join(directory, 'B.pkr.hcl'), '# upper case sorts first, byte by byte\n')
    expect(hclTemplateFiles(directory)).toEqual(['B.pkr.hcl', 'b.pkr.hcl', 'a.pkr.json'].map((name) => join(directory, name)))
    expect((await readInFolder('.')).manifest).toBe(join(directory, 'from-hcl.json'))
  })

  it('reads a .pkr.json file whose top level is an array of objects, as Packer does', async () => {
    writeFileSync(
      join(directory, 'image.pkr.json'),
      JSON.stringify([
        { variable: { distro: { default: 'ubuntu' } } },
        { variable: { token: { default: 'S3cret', sensitive: true } } },
        { build: { sources: ['source.null.x'], 'post-processor': { manifest: { output: 'out/${var.distro}.json' } } } }
      ])
    )
    expect(await readInFolder('.')).toMatchObject({
      manifest: join(directory, 'out/debian.json'),
      sensitiveVariables: ['token'],
      sensitiveValues: [{ value: 'S3cret', of: 'variable', name: 'token' }],
      variablesProblems: []
    })
  })

  it("makes the folder of a build's second manifest post-processor too", async () => {
    writeFileSync(
      join(directory, 'build.pkr.hcl'),
      `build {
  sources = ["source.null.x"]
  post-processor "manifest" { output = "first/manifest.json" }
  post-processor "manifest" { output = "second/manifest.json" }
}
`
    )
    expect(await readInFolder('.')).toMatchObject({
      manifest: join(directory, 'first/manifest.json'),
      otherManifestOutputs: [join(directory, 'second/manifest.json')]
    })
  })

  it('reads the folder of each manifest output that only Packer knows whole, for each build, where the folder is known', async () => {
    writeFileSync(
      join(directory, 'build.pkr.hcl'),
      `locals {
  out = "\${path.root}/images"
}
build {
  name    = "release"
  sources = ["source.amazon-ebs.web", source.amazon-ebssurrogate.arm]
  source "amazon-ebs.gpu" {
    name = "cuda"
  }
  source "amazon-ebs.\${var.distro}" {}
  post-processor "manifest" { output = "\${local.out}/m-\${formatdate("YYYY/MM", timestamp())}.json" }
  post-processors {
    post-processor "manifest" { output = "builds/\${build.name}-\${source.name}-manifest.json" }
  }
  post-processor "manifest" { output = "per-source/\${source.name}/manifest.json" }
  post-processor "manifest" { output = "by-type/\${source.type}/{{timestamp}}.json" }
  post-processor "manifest" { output = "\${source.name}.json" }
  post-processor "manifest" { output = "\${uuidv4()}/manifest.json" }
  post-processor "manifest" { output = "known/manifest.json" }
}
build {
  name    = "nightly"
  sources = ["source.amazon-ebs.web"]
  post-processor "manifest" { output = "\${build.name}/\${source.name}/manifest.json" }
}
`
    )
    const read = await readInFolder('.')
    expect(read).toMatchObject({ manifestUnknown: expect.stringMatching(/^\$\{local\.out\}\/m-/), otherManifestOutputs: [join(directory, 'known/manifest.json')] })
    expect(read.manifestFolders.map((folder) => relative(directory, folder)).sort()).toEqual([
      'builds',
      'by-type/amazon-ebs',
      'by-type/amazon-ebssurrogate',
      'images',
      'per-source/arm',
      'per-source/cuda',
      'per-source/web',
      'nightly/web'
    ].sort())
  })

  it('reads `\\` as a separator of the folders of a manifest output where Packer does: on Windows', async () => {
    writeFileSync(
      join(directory, 'build.pkr.hcl'),
      `build {
  sources = ["source.amazon-ebs.web"]
  post-processor "manifest" { output = "manifests\\\\\${source.name}.json" }
  post-processor "manifest" { output = "out\\\\\${source.type}\\\\\${uuidv4()}.json" }
}
`
    )
    const request = {
      workingDirectory: directory,
      template: '.',
      varFiles: [],
      variables: [],
      manifest: join(directory, 'packer-manifest.json'),
      manifestGiven: false,
      sensitiveValues: []
    } as unknown as Inputs
    const folders = async (platform: NodeJS.Platform): Promise<string[]> =>
      (await readHclTemplate(request, {}, platform)).manifestFolders.map((folder) => relative(directory, folder)).sort()
    expect(await folders('win32')).toEqual(['manifests', 'out\\amazon-ebs'])
    // Elsewhere `\` is part of a name: Packer writes a file `manifests\web.json` in the working directory.
    expect(await folders('linux')).toEqual([])
  })

  it('reads a manifest path made of path.root, path.cwd, locals and variables, for a folder or a file', async () => {
    inFolder('"${local.out}/${var.distro}.json"')
    const expected = { manifest: join(directory, 'artifacts', 'debian.json'), problems: [] }
    expect(await readInFolder('packer')).toMatchObject(expected)
    expect(await readInFolder('packer/image.pkr.hcl')).toMatchObject(expected)
    expect((await readInFolder('packer')).manifestUnknown).toBeUndefined()
  })

  it('reads a value given for a variable that a .pkr.json file types as "string" as the text itself', async () => {
    mkdirSync(join(directory, 'packer'))
    writeFileSync(
      join(directory, 'packer', 'vars.pkr.json'),
      JSON.stringify({ variable: { distro: { type: 'string', default: 'ubuntu' }, token: { type: 'string', sensitive: true } } })
    )
    writeFileSync(join(directory, 'packer', 'image.pkr.hcl'), 'build {\n  post-processor "manifest" {\n    output = "${var.distro}/m.json"\n  }\n}\n')
    const read = await readHclTemplate(
      {
        workingDirectory: directory,
        template: 'packer',
        varFiles: [],
        variables: [{ name: 'distro', value: 'debian' }, { name: 'token', value: 'T0ken' }],
        manifest: join(directory, 'packer-manifest.json'),
        manifestGiven: false,
        sensitiveValues: []
      } as unknown as Inputs,
      {}
    )
    expect(read).toMatchObject({ manifest: join(directory, 'debian', 'm.json'), sensitiveValues: [expect.objectContaining({ value: 'T0ken' })] })
    expect(read.manifestUnknown).toBeUndefined()
  })

  it('reads *.auto.pkrvars.hcl for a template directory, and not beside a template file, as Packer does', async () => {
    inFolder('"${local.out}/${var.distro}.json"')
    writeFileSync(join(directory, 'packer', 'release.auto.pkrvars.hcl'), 'distro = "fedora"\n')
    const read = (template: string): Promise<HclTemplate> =>
      readHclTemplate({ workingDirectory: directory, template, varFiles: [], variables: [], manifest: join(directory, 'packer-manifest.json'), manifestGiven: false, sensitiveValues: [] } as unknown as Inputs, {})
    expect((await read('packer')).manifest).toBe(join(directory, 'artifacts', 'fedora.json'))
    expect((await read('packer/image.pkr.hcl')).manifest).toBe(join(directory, 'artifacts', 'ubuntu.json'))
  })

  it('says which manifest output only Packer knows, and keeps the default path', async () => {
    inFolder('"${path.root}/${source.name}.json"')
    const read = await readInFolder('packer')
    expect(read).toMatchObject({ manifest: join(directory, 'packer-manifest.json'), manifestUnknown: '${path.root}/${source.name}.json' })
    // An output that is empty is Packer's default.
    rmSync(join(directory, 'packer'), { recursive: true })
    inFolder('var.empty')
    writeFileSync(join(directory, 'packer', 'empty.pkr.hcl'), 'variable "empty" {\n  default = ""\n}\n')
    const empty = await readInFolder('packer')
    expect(empty.manifest).toBe(join(directory, 'packer-manifest.json'))
    expect(empty.manifestUnknown).toBeUndefined()
    // Input manifest names the file: nothing is unknown.
    expect(await readInFolder('packer', 'm.json')).toEqual(expect.not.objectContaining({ manifestUnknown: expect.anything() }))
  })

  it("names a broken file at the template's manifest path, which Packer's manifest post-processor would fail on", async () => {
    inFolder('"${path.cwd}/artifacts/m.json"')
    mkdirSync(join(directory, 'artifacts'))
    writeFileSync(join(directory, 'artifacts', 'm.json'), '{"builds": [')
    const read = await readInFolder('packer')
    expect(read.problems).toEqual([
      {
        message: expect.stringMatching(/^manifest: .*artifacts\/m\.json is not valid JSON at line 1, column 13: .*fix or delete it\.$/),
        location: { file: expect.stringMatching(/artifacts\/m\.json$/), line: 1, column: 13 }
      }
    ])
    // Input manifest's file is checked with the other inputs, not here.
    expect((await readInFolder('packer', 'artifacts/m.json')).problems).toEqual([])
  })

  it('names each input variable the template does not declare, which Packer refuses, once it has read every file', async () => {
    writeFileSync(join(directory, 'vars.pkr.hcl'), 'variable "region" {\n  default = "us-east-1"\n}\nvariables {\n  size = 8\n}\n')
    const read = (variables: string[]): Promise<HclTemplate> =>
      readHclTemplate(
        {
          workingDirectory: directory,
          template: '.',
          varFiles: [],
          variables: variables.map((name) => ({ name, value: 'x' })),
          manifest: join(directory, 'packer-manifest.json'),
          manifestGiven: false,
          sensitiveValues: []
        } as unknown as Inputs,
        {}
      )
    expect((await read(['size', 'regoin', 'region', 'regoin'])).variablesProblems).toEqual([
      'variables: "regoin" is not a variable of . (did you mean "region"?): expected one it declares (region, size)'
    ])
    writeFileSync(join(directory, 'broken.pkr.hcl'), 'variable "regoin" {\n')
    expect((await read(['regoin'])).variablesProblems).toEqual([])
  })

  it('names each file it could not read, with the line, and reads the rest', async () => {
    writeFileSync(join(directory, 'vars.pkr.hcl'), 'variable "token" {\n  sensitive = true\n}\n')
    writeFileSync(join(directory, 'broken.pkr.hcl'), 'build {\n  sources = [\n')
    writeFileSync(join(directory, 'prod.pkrvars.hcl'), 'token = "FromFile"\n')
    writeFileSync(join(directory, 'bad.pkrvars.hcl'), 'token = = "x"\n')
    writeFileSync(join(directory, 'bad.json'), '{"token": "s3cret-value" oops}')
    const read = await readHclTemplate(
      {
        workingDirectory: directory,
        template: '.',
        varFiles: ['bad.pkrvars.hcl', 'bad.json', 'prod.pkrvars.hcl'],
        variables: [],
        manifest: join(directory, 'packer-manifest.json'),
        manifestGiven: false,
        sensitiveValues: []
      } as unknown as Inputs,
      {}
    )
    expect(valuesOf(read.sensitiveValues)).toEqual(['FromFile'])
    expect(read.buildCount).toBeUndefined()
    expect(read.unreadable.map(({ file, line }) => [file.split('/').at(-1), line])).toEqual([
      ['broken.pkr.hcl', 1],
      ['bad.pkrvars.hcl', 1],
      ['bad.json', undefined]
    ])
    expect(read.unreadable.at(-1)?.message).toMatch(/bad\.json: not valid JSON$/)
    expect(JSON.stringify(read.unreadable)).not.toContain('s3cret')
  })
})

/**
 * A template of two amazon-ebs sources, web with `communicator` and worker with ssh, and a build
 * block of `sources` with `inner` in it; variable "communicator" defaults to `variable`.
 */
const twoSources = (communicator: string, sources: string, inner: string, variable = 'ssh') => `variable "communicator" {
  default = "${variable}"
}
source "amazon-ebs" "web" {
  ${communicator}
}
source "amazon-ebs" "worker" {
  communicator = "ssh"
}
build {
  sources = ${sources}
${inner}
}
`

describe('readHclFile', () => {
  it('places builds, provisioners and their problems in the file as it was read, without reading it again', async () => {
    const file = join(directory, 'image.pkr.hcl')
    writeFileSync(
      file,
      `source "amazon-ebs" "web" {
  communicator = "none"
}

build {
  sources = ["source.amazon-ebs.web"]

  provisioner "shell-local" {
    inline  = ["echo hi"]
    timeout = "10"
  }

  post-processor "shell-local" {
    script = "scripts/tag.sh"
    only   = ["source.amazon-ebs.web"]
  }
}
`
    )
    const read = [await readHclFile(file)]
    // What the checks say is where the parsed text has it, whatever is on disk by then.
    rmSync(file)
    const lines = (found: Array<{ location?: { line?: number } }>) => found.map(({ location }) => location?.line)
    expect(lines((await hclAmiBuilds(read)) ?? [])).toEqual([1])
    const uses = await hclProvisionerUses(read)
    expect(lines(uses)).toEqual([8, 13])
    expect(uses[1].scripts?.map(({ location }) => location.line)).toEqual([14])
    expect(lines(await hclDurationProblems(read, { variables: new Map() }))).toEqual([10])
    expect(lines(await hclSelectionWarnings(read))).toEqual([15])
  })
})

describe('hclBuildBlock', () => {
  const sources = `source "null" "a" {
  communicator = "none"
}

source "null" "b" {
  communicator = "none"
}
`

  async function blockOf(build: string, builds: string) {
    writeFileSync(join(directory, 'x.pkr.hcl'), sources + builds)
    const found = await hclBuildBlock([await readHclFile(join(directory, 'x.pkr.hcl'))], build)
    return found && { ...found, file: relative(directory, found.file) }
  }

  it("is the source block a build is named after, or a build block's source block that names it", async () => {
    const builds = 'build {\n  name    = "web"\n  sources = ["source.null.a"]\n  source "null.b" {\n    name = "c"\n  }\n}\n'
    expect(await blockOf('web.null.a', builds)).toEqual({ file: 'x.pkr.hcl', line: 1, column: 1 })
    expect(await blockOf('web.null.c', builds)).toEqual({ file: 'x.pkr.hcl', line: 11, column: 3 })
    expect(await blockOf('null.a', builds)).toBeUndefined()
  })

  it('of builds Packer names alike, their source block; none when they build different sources, or a name is one only Packer knows', async () => {
    const twice = 'build {\n  sources = ["source.null.a"]\n}\nbuild {\n  source "null.a" {}\n}\n'
    expect(await blockOf('null.a', twice)).toEqual({ file: 'x.pkr.hcl', line: 1, column: 1 })
    const renamed = 'build {\n  sources = ["source.null.a"]\n}\nbuild {\n  source "null.b" {\n    name = "a"\n  }\n}\n'
    expect(await blockOf('null.a', renamed)).toBeUndefined()
    const unknown = 'build {\n  sources = ["source.null.a"]\n  source "null.b" {\n    name = var.name\n  }\n}\n'
    expect(await blockOf('null.a', unknown)).toBeUndefined()
  })

  it('reads a name written as an expression of literal text as Packer does', async () => {
    const builds = 'build {\n  name = "${"web"}"\n  sources = ["source.null.a"]\n  source "null.b" {\n    name = "${"c"}-d"\n  }\n}\n'
    expect(await blockOf('web.null.a', builds)).toEqual({ file: 'x.pkr.hcl', line: 1, column: 1 })
    expect(await blockOf('web.null.c-d', builds)).toEqual({ file: 'x.pkr.hcl', line: 11, column: 3 })
  })

  it("a build whose name only Packer knows: the one block that could make a build of that type with a name of that shape, or none", async () => {
    const shaped = 'build {\n  sources = ["source.null.a"]\n  source "null.b" {\n    name = "b-%{ if true }x%{ endif }"\n  }\n}\n'
    expect(await blockOf('null.b-x', shaped)).toEqual({ file: 'x.pkr.hcl', line: 10, column: 3 })
    expect(await blockOf('null.a', shaped)).toEqual({ file: 'x.pkr.hcl', line: 1, column: 1 })
    expect(await blockOf('null.c', shaped)).toBeUndefined()
    expect(await blockOf('amazon-ebs.b-x', shaped)).toBeUndefined()
    // The build block's name may be anything, none among it: each of its builds is still told by its own.
    const named = 'build {\n  name    = var.role\n  sources = ["source.null.a", "source.null.b"]\n}\n'
    expect(await blockOf('web.null.b', named)).toEqual({ file: 'x.pkr.hcl', line: 5, column: 1 })
    expect(await blockOf('null.a', named)).toEqual({ file: 'x.pkr.hcl', line: 1, column: 1 })
    // Two blocks whose builds could both be named so: none.
    const both = 'build {\n  source "null.a" {\n    name = "%{ if true }x%{ endif }"\n  }\n  source "null.b" {\n    name = "%{ if true }x%{ endif }"\n  }\n}\n'
    expect(await blockOf('null.x', both)).toBeUndefined()
  })

  it("reads a build block's name with the variables' and locals' values it is given, as Packer from 1.7.9 does, to tell builds of one shape apart", async () => {
    const builds =
      'locals {\n  tier = "db"\n}\nbuild {\n  name = var.role\n  source "null.a" {\n    name = "x"\n  }\n}\n' +
      'build {\n  name = "${local.tier}"\n  source "null.b" {\n    name = "x"\n  }\n}\n'
    writeFileSync(join(directory, 'x.pkr.hcl'), sources + builds)
    const read = [await readHclFile(join(directory, 'x.pkr.hcl'))]
    const names = { variables: new Map([['role', 'web']]), locals: new Map([['tier', 'db']]) }
    expect(await hclBuildBlock(read, 'web.null.x', names)).toEqual({ file: join(directory, 'x.pkr.hcl'), line: 13, column: 3 })
    expect(await hclBuildBlock(read, 'db.null.x', names)).toEqual({ file: join(directory, 'x.pkr.hcl'), line: 19, column: 3 })
    // Without their values, either block could have made either build.
    expect(await hclBuildBlock(read, 'web.null.x')).toBeUndefined()
  })
})

describe('build.* in post-processors, by Packer version', () => {
  const template = `source "amazon-ebs" "web" {
  ami_name = "web-\${build.name}"
}
build {
  name    = "release"
  sources = ["source.amazon-ebs.web"]
  provisioner "shell-local" {
    inline = ["echo \${build.name}"]
  }
  post-processor "manifest" {
    output     = "manifests/\${build.name}.json"
    custom_data = {
      source = "\${source.name}"
      id     = build.ID
    }
  }
  post-processors {
    post-processor "shell-local" {
      inline = ["echo one", "echo \${upper(build.name)}"]
    }
  }
}
`

  async function uses(files: Record<string, string>, variables: Record<string, string> = {}) {
    const read = []
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(directory, name), text)
      read.push(await readHclFile(join(directory, name)))
    }
    return hclBuildVariableUses(read, { variables: new Map(Object.entries(variables)) })
  }

  const release = (skippedBy: string) => ({ name: 'release.amazon-ebs.web', source: 'amazon-ebs.web', skippedBy: [skippedBy] })
  const all = { only: [], except: [], workingDirectory: directory }

  it("finds each build.* a post-processor's setting reads, at its line, in chains too; not a provisioner's nor a source's", async () => {
    // Outside the directory the job runs in (the workspace), a file is named by its whole path, as elsewhere.
    const file = join(directory, 'image.pkr.hcl')
    expect(await uses({ 'image.pkr.hcl': template })).toEqual([
      { attribute: 'name', block: 'post-processor', type: 'manifest', file, line: 11, column: 5, builds: [release('manifest')] },
      { attribute: 'ID', block: 'post-processor', type: 'manifest', file, line: 12, column: 5, builds: [release('manifest')] },
      // On the entry of the list that reads it.
      { attribute: 'name', block: 'post-processor', type: 'shell-local', file, line: 19, column: 29, builds: [release('shell-local')] }
    ])
  })

  it('finds them in a .pkr.json file, on the line of the setting', async () => {
    const json = JSON.stringify({ build: { sources: ['source.null.x'], 'post-processor': { manifest: { output: 'm/${build.name}.json' } } } }, null, 2)
    const found = await uses({ 'image.pkr.json': json })
    expect(found).toEqual([expect.objectContaining({ attribute: 'name', type: 'manifest', line: json.split('\n').findIndex((row) => row.includes('"output"')) + 1 })])
  })

  it('refuses build.name in a post-processor before Packer 1.7.7 only, saying from which version it works and what to do', async () => {
    const found = await uses({ 'image.pkr.hcl': template })
    const problems = buildVariableProblems(found, '1.6.6', all)
    expect(problems.map(({ location }) => location?.line)).toEqual([11, 19])
    expect(problems[0].message).toBe(
      'post-processor "manifest" reads build.name, which Packer 1.6.6 does not give a post-processor once the build is done: ' +
        'packer validate accepts it, but the post-processor fails after the build ("Unsupported attribute") and Packer deletes ' +
        'the AMIs it made. build.name works there from Packer 1.7.7: set packer-version: ">=1.7.7", or do not use build.name in this post-processor.'
    )
    expect(buildVariableProblems(found, '1.7.6', all)).toHaveLength(2)
    for (const version of ['1.7.7', '1.7.10', '1.8.0', '1.11.2']) expect(buildVariableProblems(found, version, all)).toEqual([])
  })

  // Packer 1.6.6, run against the loopback endpoint: a build with communicator "none" fails a
  // post-processor on each of these, and not on build.ID, PackerRunUUID, PackerHTTP*, SourceAMI.
  const connection = ['Host', 'Port', 'User', 'Password', 'ConnType', 'SSHPublicKey', 'SSHPrivateKey', 'WinRMPassword']
  const given = ['ID', 'PackerRunUUID', 'PackerHTTPIP', 'PackerHTTPPort', 'PackerHTTPAddr', 'SourceAMI', 'SourceAMIName']
  const connecting = (communicator: string, sources = '["source.amazon-ebs.web"]', added = '') =>
    twoSources(
      communicator,
      sources,
      `  ${added}
  post-processor "shell-local" {
    inline = [${[...connection, ...given].map((attribute) => `"echo \${build.${attribute}}"`).join(', ')}]
  }`
    )
  const refused = async (text: string, variables: Record<string, string> = {}, version = '1.6.6', selection: { only?: string[]; except?: string[] } = {}) =>
    buildVariableProblems(await uses({ 'image.pkr.hcl': text }, variables), version, { ...all, ...selection }).map(
      ({ message }) => /reads build\.(\w+)/.exec(message)?.[1]
    )

  it('refuses the connection values in a post-processor of a build whose communicator is "none", before Packer 1.7.7 only', async () => {
    const text = connecting('communicator = "none"')
    expect(await refused(text)).toEqual(connection)
    expect(await refused(text, {}, '1.7.6')).toEqual(connection)
    for (const version of ['1.7.7', '1.8.0', '1.11.2']) expect(await refused(text, {}, version)).toEqual([])
    const [host] = buildVariableProblems(await uses({ 'image.pkr.hcl': text }), '1.6.6', all)
    expect(host).toEqual({
      message:
        'post-processor "shell-local" reads build.Host, which Packer 1.6.6 does not give a post-processor of a build that connects ' +
        'no communicator (amazon-ebs.web has communicator = "none"): packer validate accepts it, but the post-processor fails after ' +
        'the build ("Unsupported attribute") and Packer deletes the AMIs it made. From Packer 1.7.7 it no longer fails, and reads ' +
        '"<unknown>" there: set packer-version: ">=1.7.7", give the source a communicator, or do not use build.Host in this post-processor.',
      // On the entry of inline that reads it.
      location: { file: join(directory, 'image.pkr.hcl'), line: 14, column: 15 }
    })
  })

  it('names the build as Packer does, BLOCK.TYPE.NAME, in a named build block, and by the name its source block gives it', async () => {
    const named = connecting('communicator = "none"').replace('build {\n', 'build {\n  name = "release"\n')
    expect(buildVariableProblems(await uses({ 'image.pkr.hcl': named }), '1.6.6', all)[0].message).toContain(
      '(release.amazon-ebs.web has communicator = "none")'
    )
    const renamed = connecting('communicator = "none"', '[]', 'source "source.amazon-ebs.web" {\n    name = "edge"\n  }')
    expect(buildVariableProblems(await uses({ 'image.pkr.hcl': renamed }), '1.6.6', all)[0].message).toContain('(amazon-ebs.edge has communicator = "none")')
  })

  it('finds communicator "none" set in the build block, through a variable, or in one source of several', async () => {
    expect(await refused(connecting('', '[]', 'source "source.amazon-ebs.web" {\n    communicator = "none"\n  }'))).toEqual(connection)
    expect(await refused(connecting('communicator = var.communicator'), { communicator: 'none' })).toEqual(connection)
    const both = await uses({ 'image.pkr.hcl': connecting('communicator = "none"', '["source.amazon-ebs.worker", source.amazon-ebs.web]') })
    expect(both[0].builds.filter(({ withoutCommunicator }) => withoutCommunicator).map(({ source }) => source)).toEqual(['amazon-ebs.web'])
    expect(buildVariableProblems(both, '1.6.6', all)[0].message).toContain('(amazon-ebs.web has communicator = "none")')
  })

  // Read in Packer 1.6.6's amazon-chroot builder and the Amazon plugin's: no step connects, and
  // StepChrootProvision gives the post-processors no connection values. Packer 1.6.6 validates
  // such a post-processor, and refuses a `communicator` in the source (the endpoint cannot run a chroot build).
  it('refuses the connection values in a post-processor of an amazon-chroot build, which never connects, before Packer 1.7.7 only', async () => {
    const chroot = `source "amazon-chroot" "base" {
  source_ami = "ami-0abcdef1234567890"
}
source "amazon-ebs" "web" {
  communicator = "ssh"
}
build {
  sources = ["source.amazon-chroot.base", "source.amazon-ebs.web"]
  post-processor "shell-local" {
    inline = [${[...connection, ...given].map((attribute) => `"echo \${build.${attribute}}"`).join(', ')}]
  }
}
`
    expect(await refused(chroot)).toEqual(connection)
    expect(await refused(chroot, {}, '1.7.6')).toEqual(connection)
    expect(await refused(chroot, {}, '1.7.7')).toEqual([])
    // Only where the chroot build runs.
    expect(await refused(chroot, {}, '1.6.6', { only: ['amazon-ebs.web'] })).toEqual([])
    expect(await refused(chroot, {}, '1.6.6', { except: ['amazon-chroot.*'] })).toEqual([])
    const [host] = buildVariableProblems(await uses({ 'image.pkr.hcl': chroot }), '1.6.6', all)
    expect(host).toEqual({
      message:
        'post-processor "shell-local" reads build.Host, which Packer 1.6.6 does not give a post-processor of a build that connects ' +
        'no communicator (amazon-chroot.base is an amazon-chroot build, which never connects): packer validate accepts it, but the ' +
        'post-processor fails after the build ("Unsupported attribute") and Packer deletes the AMIs it made. From Packer 1.7.7 it no ' +
        'longer fails, and reads "<unknown>" there: set packer-version: ">=1.7.7", or do not use build.Host in this post-processor.',
      // On the entry of inline that reads it.
      location: { file: join(directory, 'image.pkr.hcl'), line: 10, column: 15 }
    })
    // Beside a build with communicator "none", each is named with its reason, and a communicator is one way out.
    const both = await uses({ 'image.pkr.hcl': chroot.replace('communicator = "ssh"', 'communicator = "none"') })
    expect(buildVariableProblems(both, '1.6.6', all)[0].message).toContain(
      '(amazon-ebs.web has communicator = "none"; amazon-chroot.base is an amazon-chroot build, which never connects)'
    )
    expect(buildVariableProblems(both, '1.6.6', all)[0].message).toContain('give the source a communicator, or do not use')
  })

  it('does not refuse them where a communicator connects, or where only Packer knows which one', async () => {
    expect(await refused(connecting(''))).toEqual([])
    expect(await refused(connecting('communicator = "ssh"'))).toEqual([])
    expect(await refused(connecting('communicator = "winrm"'))).toEqual([])
    expect(await refused(connecting('communicator = var.communicator'))).toEqual([])
    expect(await refused(connecting('communicator = var.unknown'))).toEqual([])
    expect(await refused(connecting('communicator = "none"', '["source.amazon-ebs.worker"]'))).toEqual([])
  })

  // Packer 1.6.6 against the loopback endpoint: each of these builds and keeps its AMI.
  it('does not refuse them in a build that only or except leaves out, nor where except names the post-processor', async () => {
    const text = connecting('communicator = "none"', '["source.amazon-ebs.worker", "source.amazon-ebs.web"]')
    expect(await refused(text, {}, '1.6.6', { only: ['amazon-ebs.worker'] })).toEqual([])
    expect(await refused(text, {}, '1.6.6', { except: ['*.web'] })).toEqual([])
    expect(await refused(text, {}, '1.6.6', { except: ['shell-*'] })).toEqual([])
    // Still run: the build selected by a glob, and except naming another build or post-processor.
    expect(await refused(text, {}, '1.6.6', { only: ['amazon-ebs.*'] })).toEqual(connection)
    expect(await refused(text, {}, '1.6.6', { only: ['amazon-ebs.web'], except: ['amazon-ebs.worker', 'manifest'] })).toEqual(connection)

    const found = await uses({ 'image.pkr.hcl': template })
    const lines = (selection: { only?: string[]; except?: string[] }) =>
      buildVariableProblems(found, '1.6.6', { ...all, ...selection }).map(({ location }) => location?.line)
    expect(lines({ only: ['amazon-ebs.web'] })).toEqual([])
    expect(lines({ except: ['release.*'] })).toEqual([])
    expect(lines({ except: ['manifest'] })).toEqual([19])
    expect(lines({ only: ['release.amazon-ebs.web'] })).toEqual([11, 19])
  })

  it('follows Packer where except names a post-processor before it in its chain, and its own only/except', async () => {
    const chained = (first: string, own = '') => `source "amazon-ebs" "web" {
  communicator = "none"
}
source "amazon-ebs" "worker" {
  communicator = "none"
}
build {
  sources = ["source.amazon-ebs.web", "source.amazon-ebs.worker"]
  post-processors {
    post-processor "manifest" {
      name = "first"
      ${first}
    }
    post-processor "shell-local" {
      ${own}
      inline = ["echo \${build.Host}"]
    }
  }
}
`
    // Packer skips the rest of a chain from the post-processor except names.
    expect(await refused(chained(''), {}, '1.6.6', { except: ['first'] })).toEqual([])
    // Unless that one does not run in the build: then the chain goes on to the next.
    expect(await refused(chained('only = ["amazon-ebs.worker"]'), {}, '1.6.6', { except: ['first'] })).toEqual(['Host'])
    expect(await refused(chained('only = ["amazon-ebs.worker"]'), {}, '1.6.6', { except: ['first', 'amazon-ebs.web'] })).toEqual([])
    // A post-processor's own only/except names sources whole, as Packer matches them.
    expect(await refused(chained('', 'only = ["amazon-ebs.other"]'))).toEqual([])
    expect(await refused(chained('', 'except = ["amazon-ebs.web", "amazon-ebs.worker"]'))).toEqual([])
    expect(await refused(chained('', 'only = ["amazon-ebs.*"]'))).toEqual([])
    const [one] = buildVariableProblems(await uses({ 'image.pkr.hcl': chained('', 'except = ["amazon-ebs.web"]') }), '1.6.6', all)
    expect(one.message).toContain('(amazon-ebs.worker has communicator = "none")')
  })

  it('names a build as -only matches it: with its build block in front, and under the name a build block gives its source', async () => {
    const renamed = `source "amazon-ebs" "base" {
  communicator = "none"
}
build {
  name = "release"
  source "source.amazon-ebs.base" {
    name = "noble"
  }
  post-processor "shell-local" {
    except = ["amazon-ebs.base"]
    inline = ["echo \${build.Host}"]
  }
}
`
    const [use] = await uses({ 'image.pkr.hcl': renamed })
    expect(use.builds).toEqual([{ name: 'release.amazon-ebs.noble', source: 'amazon-ebs.base', withoutCommunicator: 'none', skippedBy: ['shell-local'] }])
    // The post-processor's own except names the source as defined, not as the block renames it: it still runs.
    expect(await refused(renamed, {}, '1.6.6', { only: ['release.amazon-ebs.noble'] })).toEqual(['Host'])
    expect(await refused(renamed, {}, '1.6.6', { only: ['release.amazon-ebs.base'] })).toEqual([])
  })
})

describe('provisioners that need a communicator, in a build that connects none', () => {
  const template = (communicator: string, provisioners: string, sources = '["source.amazon-ebs.web"]') =>
    twoSources(communicator, sources, provisioners.replace(/\n$/, ''), 'none')
  const provisioner = (type: string, settings = '') => `  provisioner "${type}" {\n    ${settings}\n  }\n`
  const all = { only: [], except: [], workingDirectory: directory }

  async function refused(text: string, selection: { only?: string[]; except?: string[] } = {}, packerVersion?: string) {
    writeFileSync(join(directory, 'image.pkr.hcl'), text)
    const read = [await readHclFile(join(directory, 'image.pkr.hcl'))]
    return provisionerProblems(await hclProvisionerUses(read), { ...all, ...selection }, packerVersion)
  }

  it('refuses an error-cleanup-provisioner that needs one only once it knows the Packer runs it: 1.7.0 on, its first, by its own only/except', async () => {
    const cleanup = (type: string, settings = '') => provisioner(type, settings).replace('provisioner', 'error-cleanup-provisioner')
    const text = template('communicator = "none"', provisioner('shell-local') + cleanup('shell', 'inline = ["uptime"]'))
    const problems = await refused(text, {}, '1.7.0')
    expect(problems.map(({ location }) => location?.line)).toEqual([15])
    expect(problems[0].message).toMatch(/^error-cleanup-provisioner "shell" runs on the instance through a communicator, and its build connects none \(amazon-ebs\.web has communicator = "none"\): packer validate accepts it, but once the build has failed, Packer runs it on the instance/)
    // Before 1.7.0 Packer refuses the block itself; while latest or a range has not resolved, nobody knows.
    expect(await refused(text, {}, '1.6.6')).toEqual([])
    expect(await refused(text)).toEqual([])
    // Packer refuses a second one itself ("Only one error-cleanup-provisioner is allowed").
    expect(await refused(template('communicator = "none"', cleanup('shell-local') + cleanup('file')), {}, '1.11.2')).toEqual([])
    const two = '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'
    expect(await refused(template('communicator = "none"', cleanup('file', 'only = ["amazon-ebs.worker"]'), two), {}, '1.11.2')).toEqual([])
    expect(await refused(template('communicator = "none"', cleanup('file'), two), { only: ['amazon-ebs.worker'] }, '1.11.2')).toEqual([])
    expect(await refused(template('communicator = "none"', cleanup('file'), two), {}, '1.11.2')).toHaveLength(1)
  })

  it('refuses a shell provisioner of a build whose communicator is "none", on its line, naming the source and what to do', async () => {
    const problems = await refused(template('communicator = "none"', provisioner('shell-local') + provisioner('shell', 'inline = ["uptime"]')))
    expect(problems.map(({ location }) => location)).toEqual([{ file: join(directory, 'image.pkr.hcl'), line: 15, column: 3 }])
    expect(problems[0].message).toBe(
      'provisioner "shell" runs on the instance through a communicator, and its build connects none (amazon-ebs.web has ' +
        'communicator = "none"): packer validate accepts it, but Packer launches the instance and the provisioner fails there, ' +
        'after retrying its upload for 5 minutes. Give the source a communicator (communicator = "ssh", with ssh_username), ' +
        'or run the commands on the runner with a shell-local provisioner.'
    )
  })

  it('refuses each provisioner that works through the communicator, and none that does not', async () => {
    const types = ['shell', 'file', 'powershell', 'windows-shell', 'shell-local', 'breakpoint', 'windows-restart']
    const problems = await refused(template('communicator = "none"', types.map((type) => provisioner(type, type === 'breakpoint' ? 'disable = true' : '')).join('\n')))
    expect(problems.map(({ message }) => /provisioner "([\w-]+)"/.exec(message)?.[1])).toEqual(['shell', 'file', 'powershell', 'windows-shell', 'windows-restart'])
    expect(problems[1].message).toContain('the provisioner fails there. Give')
    expect(problems[4].message).toContain('fails there, after waiting 5 minutes for the machine to restart. Give')
  })

  it('refuses the provisioners that upload their files to the instance first: ansible-local, chef-solo, puppet-masterless, salt-masterless', async () => {
    const uploading: Array<[string, string, string]> = [
      ['ansible-local', 'playbook_file = "site.yml"', 'its playbook'],
      ['chef-solo', '', 'its configuration'],
      ['puppet-masterless', 'manifest_file = "site.pp"', 'its manifests'],
      ['salt-masterless', 'local_state_tree = "salt"', 'its state tree']
    ]
    const problems = await refused(template('communicator = "none"', uploading.map(([type, settings]) => provisioner(type, settings)).join('\n')))
    expect(problems.map(({ message }) => /provisioner "([\w-]+)"/.exec(message)?.[1])).toEqual(uploading.map(([type]) => type))
    for (const [index, [, , what]] of uploading.entries()) {
      expect(problems[index].message).toContain(`Packer launches the instance and the provisioner fails there, as it uploads ${what}. Give`)
    }
    // One whose build connects does not fail.
    expect(await refused(template('communicator = "ssh"', provisioner('ansible-local', 'playbook_file = "site.yml"')))).toEqual([])
  })

  it('does not refuse it where a communicator connects, where it is a variable, or in a build that does not run it', async () => {
    const shell = provisioner('shell', 'inline = ["uptime"]')
    expect(await refused(template('', shell))).toEqual([])
    expect(await refused(template('communicator = "ssh"', shell))).toEqual([])
    expect(await refused(template('communicator = var.communicator', shell))).toEqual([])
    expect(await refused(template('communicator = "none"', shell, '["source.amazon-ebs.worker"]'))).toEqual([])
    // amazon-chroot runs provisioners through its own communicator, on the machine Packer runs on.
    expect(await refused(template('communicator = "none"', shell).replace('"amazon-ebs" "web"', '"amazon-chroot" "web"').replace('amazon-ebs.web', 'amazon-chroot.web'))).toEqual([])
    const both = template('communicator = "none"', shell, '["source.amazon-ebs.web", "source.amazon-ebs.worker"]')
    expect(await refused(both)).toHaveLength(1)
    expect(await refused(both, { only: ['amazon-ebs.worker'] })).toEqual([])
    expect(await refused(both, { except: ['amazon-ebs.w*b'] })).toEqual([])
    expect(await refused(template('communicator = "none"', provisioner('shell', 'only = ["amazon-ebs.worker"]'), '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'))).toEqual([])
    expect(await refused(template('communicator = "none"', provisioner('shell', 'except = ["amazon-ebs.web"]'), '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'))).toEqual([])
  })

  it('refuses a breakpoint that is not disabled, in any build that runs it, on its line, saying why and what to do', async () => {
    const problems = await refused(template('', provisioner('breakpoint', 'note = "look"')))
    expect(problems).toEqual([
      {
        message:
          'provisioner "breakpoint" waits for someone to press Enter, which nobody can in a workflow: Packer builds with ' +
          '-machine-readable, which cannot ask, so packer validate accepts it but the build fails there ("machine-readable UI ' +
          "can't ask\"). Remove the provisioner, or set disable = true.",
        location: { file: join(directory, 'image.pkr.hcl'), line: 12, column: 3 }
      }
    ])
    expect(await refused(template('', provisioner('breakpoint', 'disable = false')))).toHaveLength(1)
    expect(await refused(template('', provisioner('breakpoint', 'disable = true')))).toEqual([])
    expect(await refused(template('', provisioner('breakpoint', 'disable = var.pause')))).toEqual([])
    const worker = template('', provisioner('breakpoint', 'only = ["amazon-ebs.worker"]'), '["source.amazon-ebs.web", "source.amazon-ebs.worker"]')
    expect(await refused(worker)).toHaveLength(1)
    expect(await refused(worker, { only: ['amazon-ebs.web'] })).toEqual([])
    expect(await refused(template('', provisioner('breakpoint'), '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'), { except: ['amazon-ebs.*'] })).toEqual([])
  })

  it('reads the communicator a build block gives its source', async () => {
    const text = template('', '  source "source.amazon-ebs.web" {\n    communicator = "none"\n  }\n' + provisioner('file', 'source = "a"\n    destination = "/tmp/a"'), '[]')
    expect((await refused(text)).map(({ location }) => location?.line)).toEqual([15])
  })
})

describe("a shell-local's script whose path /bin/sh cannot run unquoted", () => {
  const template = (inner: string, sources = '["source.amazon-ebs.web"]') => twoSources('', sources, inner.replace(/\n$/, ''))
  const shellLocal = (block: string, settings: string) => `  ${block} "shell-local" {\n    ${settings}\n  }\n`

  async function refused(text: string, selection: { only?: string[]; except?: string[] } = {}) {
    writeFileSync(join(directory, 'image.pkr.hcl'), text)
    const read = [await readHclFile(join(directory, 'image.pkr.hcl'))]
    return provisionerProblems(await hclProvisionerUses(read), { only: [], except: [], workingDirectory: directory, ...selection })
  }

  it('refuses a provisioner\'s script with a space in its path, on the script, saying what runs and what to do', async () => {
    const problems = await refused(template(shellLocal('provisioner', 'script = "scripts/set up.sh"')))
    expect(problems).toEqual([
      {
        message:
          'provisioner "shell-local" runs the script "scripts/set up.sh" with Packer\'s default execute_command ' +
          '["/bin/sh", "-c", "{{.Vars}} {{.Script}}"], which puts its path (' + join(directory, 'scripts/set up.sh') + ') in the ' +
          'command unquoted, and the path holds a space, which the shell does not read as part of it: packer validate accepts ' +
          'it, but the script does not run and the build fails once Packer has launched the instance. Rename the file or its ' +
          'folder, or quote the path: set execute_command = ["/bin/sh", "-c", "{{.Vars}} \'{{.Script}}\'"].',
        location: { file: join(directory, 'image.pkr.hcl'), line: 13, column: 5 }
      }
    ])
  })

  it('refuses each entry of scripts, and a post-processor\'s, in a chain too, naming the character', async () => {
    const scripts = shellLocal('provisioner', 'scripts = ["ok.sh", "a;b.sh", "a$HOME.sh", "a$.sh", "a*b.sh"]')
    const chain = '  post-processors {\n  ' + shellLocal('post-processor', 'script = "it\'s.sh"') + '  }\n'
    const problems = await refused(template(scripts + shellLocal('post-processor', 'scripts = ["(x).sh"]') + chain))
    expect(problems.map(({ message }) => /^([\w-]+) .*the path holds (.+?), which/.exec(message)?.slice(1))).toEqual([
      ['provisioner', '";"'],
      ['provisioner', '"$"'],
      ['post-processor', '"("'],
      ['post-processor', '"\'"']
    ])
    expect(problems[2].message).toContain('the build fails once Packer has made the AMIs. Rename')
    // A path with a ' in it cannot be single-quoted.
    expect(problems[3].message).toMatch(/Rename the file or its folder\.$/)
    expect(problems.map(({ location }) => location?.line)).toEqual([13, 13, 16, 20])
  })

  it('leaves to Packer a path made from variables, a set execute_command, only_on elsewhere, and a build that does not run it', async () => {
    expect(await refused(template(shellLocal('provisioner', 'script = "${var.communicator} x.sh"')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'script = "{{user `a`}} x.sh"')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'script = "a b.sh"\n    execute_command = ["/bin/sh", "-c", "{{.Vars}} \'{{.Script}}\'"]')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'script = "a b.sh"\n    only_on = ["windows"]')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'script = "a b.sh"\n    only_on = ["linux"]')))).toHaveLength(1)
    expect(await refused(template(shellLocal('provisioner', 'inline = ["a b.sh"]')))).toEqual([])
    const two = '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'
    expect(await refused(template(shellLocal('provisioner', 'script = "a b.sh"\n    only = ["amazon-ebs.worker"]'), two), { only: ['amazon-ebs.web'] })).toEqual([])
    expect(await refused(template(shellLocal('post-processor', 'script = "a b.sh"')), { except: ['shell-local'] })).toEqual([])
    expect(await refused(template(shellLocal('post-processor', 'script = "a b.sh"')), { except: ['amazon-ebs.web'] })).toEqual([])
  })

  it('reads the path in the working directory Packer runs in', async () => {
    const problems = await refused(template(shellLocal('provisioner', 'script = "scripts/setup.sh"')), {})
    expect(problems).toEqual([])
    const spaced = provisionerProblems(
      await hclProvisionerUses([await readHclFile(join(directory, 'image.pkr.hcl'))]),
      { only: [], except: [], workingDirectory: '/home/runner/my images' }
    )
    expect(spaced.map(({ message }) => message)).toEqual([expect.stringContaining('(/home/runner/my images/scripts/setup.sh)')])
  })
})

describe("a shell-local's reads of what only a communicator gives, in a build that connects none", () => {
  const two = '["source.amazon-ebs.web", "source.amazon-ebs.worker"]'
  const template = (inner: string, sources = '["source.amazon-ebs.web"]', communicator = 'communicator = "none"') =>
    twoSources(communicator, sources, inner.replace(/\n$/, ''))
  const shellLocal = (block: string, settings: string) => `  ${block} "shell-local" {\n    ${settings}\n  }\n`

  async function refused(text: string, selection: { only?: string[]; except?: string[] } = {}) {
    writeFileSync(join(directory, 'image.pkr.hcl'), text)
    const read = [await readHclFile(join(directory, 'image.pkr.hcl'))]
    return provisionerProblems(await hclProvisionerUses(read), { only: [], except: [], workingDirectory: directory, ...selection })
  }

  it("refuses a provisioner's ${build.Host}, which Packer 1.6.6 fills in as \"<unknown>\", on its string, saying what to do", async () => {
    const problems = await refused(template(shellLocal('provisioner', 'inline = ["echo ${build.ID}", "ssh ${build.User}@${build.Host}"]')))
    expect(problems).toEqual([
      {
        message:
          'inline of provisioner "shell-local" reads build.User, which Packer has only from a communicator, and its build connects none ' +
          '(amazon-ebs.web has communicator = "none"): packer validate accepts it, but Packer gives it the text "<unknown>", once it ' +
          'has launched the instance, and the provisioner runs with that. Give the source a communicator (communicator = "ssh", with ' +
          "ssh_username), or do not read User there: build.ID (the instance's ID), build.PackerRunUUID and the source AMI's data " +
          'have values without one.',
        location: { file: join(directory, 'image.pkr.hcl'), line: 13, column: 35 }
      }
    ])
  })

  it("refuses Go's {{.Host}} and {{ build `Host` }} in an execute_command, a post-processor's too, each string once", async () => {
    const command = (reads: string) => `execute_command = ["/bin/sh", "-c", "echo ${reads}; {{.Vars}} {{.Script}}"]`
    const problems = await refused(
      template(shellLocal('provisioner', `inline = ["true"]\n    ${command('{{.Port}} {{ build `Password` }}')}`) + shellLocal('post-processor', command('{{ .WinRMPassword }}')))
    )
    expect(problems.map(({ message, location }) => [/^(.+?), which/.exec(message)?.[1], location?.line])).toEqual([
      ['execute_command of provisioner "shell-local" reads {{ build `Password` }}', 14],
      ['execute_command of post-processor "shell-local" reads {{ .WinRMPassword }}', 17]
    ])
    expect(problems[0].message).toContain(
      'packer validate accepts it, but the build fails once Packer has launched the instance ("error calling build: loaded data, but couldnt find Password in it").'
    )
    expect(problems[1].message).toContain(
      'but Packer gives it the text "<no value>", once it has made the AMIs, and the post-processor runs with that (unquoted, a shell reads its < and > as redirections and fails).'
    )
  })

  it('lets through what such a build has, and the same reads where the build connects, or does not run it', async () => {
    const reads = shellLocal('provisioner', 'inline = ["echo ${build.Host}"]')
    expect(await refused(template(shellLocal('provisioner', 'inline = ["echo ${build.ID} ${build.PackerRunUUID} ${build.SourceAMI}", "echo {{.Host}}"]')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'inline = ["true"]\n    execute_command = ["/bin/sh", "-c", "echo {{.ID}} {{ build `SourceAMI` }}; {{.Vars}} {{.Script}}"]')))).toEqual([])
    expect(await refused(template(reads, undefined, 'communicator = "ssh"'))).toEqual([])
    expect(await refused(template(reads, undefined, ''))).toEqual([])
    expect(await refused(template(reads, undefined, 'communicator = var.communicator'))).toEqual([])
    expect(await refused(template(reads, two))).toHaveLength(1)
    expect(await refused(template(reads, two), { only: ['amazon-ebs.worker'] })).toEqual([])
    expect(await refused(template(reads, two), { except: ['amazon-ebs.web'] })).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'inline = ["echo ${build.Host}"]\n    only = ["amazon-ebs.worker"]'), two))).toEqual([])
    // A post-processor's build.Host fails before Packer 1.7.7 instead (buildVariableProblems); {{ build }} outside a command, validate refuses.
    expect(await refused(template(shellLocal('post-processor', 'inline = ["echo ${build.Host}"]')))).toEqual([])
    expect(await refused(template(shellLocal('provisioner', 'inline = ["echo {{ build `Host` }}"]')))).toEqual([])
    expect(await refused(template(shellLocal('post-processor', 'execute_command = ["/bin/sh", "-c", "echo {{.Host}}; {{.Vars}} {{.Script}}"]')), { except: ['shell-local'] })).toEqual([])
  })
})

describe('sourceReferenceProblems', () => {
  it('takes sources.TYPE.NAME, as many published templates write it, for the source it builds: no warning', async () => {
    const file = join(directory, 'build.pkr.hcl')
    writeFileSync(file, ['build {', '  name = "FoundryAMI"', '  sources = [', '    "sources.file.httpd-conf",', '    "sources.amazon-ebs.foundry",', '  ]', '}', ''].join('\n'))
    expect(sourceReferenceProblems([await readHclFile(file)])).toEqual({ errors: [], warnings: [] })
  })

  it('reads each sources entry as every Packer does: text after TYPE.NAME, or another first word, is a warning; no TYPE.NAME is an error', async () => {
    const file = join(directory, 'build.pkr.hcl')
    writeFileSync(
      file,
      [
        'build {',
        '  sources = [',
        '    "source.amazon-ebs.web",',
        '    "amazon-ebs.web",',
        '    "src.amazon-ebs.web",',
        '    "source.amazon-ebs.web.var.list[0]",',
        '    "source.amazon-ebs",',
        '    "source.amazon-ebs.web[0]",',
        '    "web",',
        '    "source.amazon-ebs.${var.name}",',
        '  ]',
        '  source "amazon-ebs.web.extra" {}',
        '}',
        ''
      ].join('\n')
    )
    const { errors, warnings } = sourceReferenceProblems([await readHclFile(file)])
    const shown = expect.stringMatching(/build\.pkr\.hcl$/)
    expect(warnings).toEqual([
      {
        message: expect.stringMatching(/^template: .*build\.pkr\.hcl: "src\.amazon-ebs\.web" in the build block's sources: Packer reads it as source\.amazon-ebs\.web and passes over "src\." before it/),
        location: { file: shown, line: 5, column: 5 }
      },
      {
        message: expect.stringContaining('"source.amazon-ebs.web.var.list[0]" in the build block\'s sources: Packer reads it as source.amazon-ebs.web and passes over ".var.list[0]" after it'),
        location: { file: shown, line: 6, column: 5 }
      }
    ])
    expect(errors.map(({ message, location }) => [/"([^"]*)" in the build block's sources names no source Packer can build: Packer expects source\.TYPE\.NAME/.exec(message)?.[1], location?.line])).toEqual([
      ['source.amazon-ebs', 7],
      ['source.amazon-ebs.web[0]', 8],
      ['web', 9]
    ])
  })

  it("reads a .pkr.json file's sources entries as the JSON strings they are, each build block's, on their lines", async () => {
    const file = join(directory, 'build.pkr.json')
    writeFileSync(
      file,
      JSON.stringify(
        [
          { build: { sources: ['source.amazon-ebs.web', 'source.amazon-ebs.web.var.list[0]', 7, 'source.amazon-ebs.${var.name}', 'source.x.%{ if true }y%{ endif }'] } },
          { build: [{ sources: ['src.null.smoke'] }, { sources: ['source.amazon-ebs'] }] }
        ],
        null,
        2
      )
    )
    const { errors, warnings } = sourceReferenceProblems([await readHclFile(file)])
    const lineOf = (text: string): number => readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1
    expect(warnings.map(({ message, location }) => [/^template: .*build\.pkr\.json: "([^"]*)" in the build block's sources: Packer reads it as/.exec(message)?.[1], location])).toEqual([
      ['source.amazon-ebs.web.var.list[0]', { file: expect.stringMatching(/build\.pkr\.json$/), line: lineOf('var.list[0]'), column: 9 }],
      ['src.null.smoke', { file: expect.stringMatching(/build\.pkr\.json$/), line: lineOf('src.null.smoke'), column: 11 }]
    ])
    expect(errors.map(({ message, location }) => [/"([^"]*)" in the build block's sources names no source Packer can build/.exec(message)?.[1], location?.line])).toEqual([
      ['source.amazon-ebs', lineOf('"source.amazon-ebs"')]
    ])
  })

  it('knows the builds of an entry with text after TYPE.NAME by the name Packer gives them', async () => {
    const files = await parsed({ 'build.pkr.hcl': 'build {\n  sources = ["source.amazon-ebs.web", "source.amazon-ebs.web.var.x", "src.null.smoke"]\n}\n' })
    expect(hclBuildNames(files)).toEqual(['amazon-ebs.web', 'amazon-ebs.web', 'null.smoke'])
  })
})

describe('hclAmiBuilds: the tag keys a source writes', () => {
  it('counts literal keys of its map and tag blocks, and of the build block source that adds to it; not keys only Packer knows', async () => {
    const file = join(directory, 'tags.pkr.hcl')
    writeFileSync(
      file,
      `variable "k" {
  type    = string
  default = "Team"
}
variable "extra" {
  type    = map(string)
  default = {}
}
source "amazon-ebs" "web" {
  tags = {
    Name         = "web"
    "Cost Center" = "images"
    (var.k)      = "x"
    "\${var.k}-2" = "y"
  }
  snapshot_tags = var.extra
  tag {
    key   = "Owner"
    value = "platform"
  }
  tag {
    key   = "Name"
    value = "again"
  }
  tag {
    key   = var.k
    value = "z"
  }
  dynamic "tag" {
    for_each = var.extra
    content {
      key   = tag.key
      value = tag.value
    }
  }
}
build {
  sources = ["source.amazon-ebs.web"]
  source "amazon-ebs.web" {
    name = "arm"
    snapshot_tag {
      key   = "Backup"
      value = "daily"
    }
  }
  source "amazon-ebs.web" {
    name = "override"
    tags = { Only = "this" }
  }
}
`
    )
    const builds = (await hclAmiBuilds([await readHclFile(file)])) ?? []
    const tags = builds.map((build) => ({
      name: build.name,
      ami: build.tags?.ami?.keys,
      amiLine: build.tags?.ami?.location.line,
      amiPartial: build.tags?.ami?.partial,
      snapshots: build.tags?.snapshots?.keys,
      snapshotsLine: build.tags?.snapshots?.location.line,
      snapshotsPartial: build.tags?.snapshots?.partial
    }))
    expect(tags).toEqual([
      // var.extra's and var.k's values are not known here (no scope): their keys are not counted, and may be any.
      { name: 'amazon-ebs.web', ami: ['Name', 'Cost Center', 'Owner'], amiLine: 10, amiPartial: true, snapshots: [], snapshotsLine: 16, snapshotsPartial: true },
      { name: 'amazon-ebs.arm', ami: ['Name', 'Cost Center', 'Owner'], amiLine: 10, amiPartial: true, snapshots: ['Backup'], snapshotsLine: 16, snapshotsPartial: true },
      // A map in both blocks Packer refuses; the build block's counts, the source's tag blocks with it.
      { name: 'amazon-ebs.override', ami: ['Only', 'Owner', 'Name'], amiLine: 48, amiPartial: true, snapshots: [], snapshotsLine: 16, snapshotsPartial: true }
    ])
  })

  /** The template `text` read as the job reads it, with the variables input `variables`: each build's tag keys, AMI's and snapshots'. */
  async function tagKeysRead(text: string, variables: Array<{ name: string; value: string }> = []) {
    writeFileSync(join(directory, 'tags.pkr.hcl'), text)
    const request = { workingDirectory: directory, template: '.', varFiles: [], variables, manifest: join(directory, 'm.json'), manifestGiven: false, sensitiveValues: [] }
    const read = await readHclTemplate(request as unknown as Inputs, {})
    return (read.amiBuilds ?? []).map((build) => ({
      ami: build.tags?.ami?.keys,
      line: build.tags?.ami?.location.line,
      snapshots: build.tags?.snapshots?.keys,
      ...(build.tags?.ami?.partial ? { amiPartial: true } : {}),
      ...(build.tags?.snapshots?.partial ? { snapshotsPartial: true } : {})
    }))
  }

  it('counts the keys of a local, a variable as this run gives it, merge() of those and dynamic "tag" blocks over one', async () => {
    const text = `variable "extra" {
  type    = map(string)
  default = { Dropped = "x" }
}
variable "key" {
  type    = string
  default = "FromDefault"
}
locals {
  common = { Team = "a", "Cost Center" = "b", (var.key) = "c" }
  more   = merge(local.common, { Stage = "d" })
  blocks = { Backup = "daily" }
}
source "amazon-ebs" "web" {
  tags = merge(local.more, var.extra, { Name = "web", "\${var.key}" = "e" }, null)
  snapshot_tags = tomap(local.blocks)
  dynamic "tag" {
    for_each = local.blocks
    iterator = t
    content {
      key   = t.key
      value = t.value
    }
  }
  dynamic "snapshot_tag" {
    for_each = { Owner = "p", Role = "q" }
    content {
      key   = snapshot_tag.key
      value = snapshot_tag.value
    }
  }
}
build {
  sources = ["source.amazon-ebs.web"]
}
`
    expect(await tagKeysRead(text, [{ name: 'extra', value: '{ Given = "y" }' }])).toEqual([
      // The local's `(var.key)` is read as Packer's to work out: the AMI's tags may hold any key besides.
      { ami: ['Team', 'Cost Center', 'Stage', 'Given', 'Name', 'FromDefault', 'Backup'], line: 15, snapshots: ['Backup', 'Owner', 'Role'], amiPartial: true }
    ])
  })

  it('counts none of a map only Packer works out: another function, a spread list, a local in a cycle, a dynamic block keyed otherwise', async () => {
    const text = `variable "maps" {
  type    = list(map(string))
  default = [{ A = "1" }]
}
variable "unset" {
  type = map(string)
}
locals {
  loop  = merge(local.again, { Loop = "1" })
  again = local.loop
}
source "amazon-ebs" "web" {
  tags = merge(zipmap(["Z"], ["1"]), merge(var.maps...), var.unset, local.loop, { Known = "k" })
  snapshot_tags = var.maps[0]
  dynamic "tag" {
    for_each = { B = "1" }
    content {
      key   = "fixed-\${tag.key}"
      value = tag.value
    }
  }
}
build {
  sources = ["source.amazon-ebs.web"]
}
`
    // The cycle's own literal key is known however deep it is read, and counted once.
    expect(await tagKeysRead(text)).toEqual([{ ami: ['Loop', 'Known'], line: 13, snapshots: [], amiPartial: true, snapshotsPartial: true }])
  })

  it('reads the JSON syntax alike: a key with an interpolation is not counted, `$${` is literal', async () => {
    const file = join(directory, 'tags.pkr.json')
    const source = { tags: { Name: 'web', '${var.k}': 'x', 'Cost$${Center}': 'y' }, tag: [{ key: 'Owner', value: 'p' }, { key: '${var.k}', value: 'q' }] }
    const template = { variable: { k: { default: 'Team' } }, source: { 'amazon-ebs': { web: source } }, build: { sources: ['source.amazon-ebs.web'] } }
    writeFileSync(file, JSON.stringify(template, null, 2))
    const [build] = (await hclAmiBuilds([await readHclFile(file)])) ?? []
    expect(build.tags?.ami?.keys).toEqual(['Name', 'Cost${Center}', 'Owner'])
    expect(build.tags?.ami?.location.line).toBe(10)
    expect(build.tags?.ami?.partial).toBe(true)
  })
})

describe('hclAmiBuilds: where a build picks its source AMI as it builds', () => {
  it('places a source_ami_filter block and a source_ami a data source gives; not a source_ami a variable gives', async () => {
    const file = join(directory, 'sources.pkr.hcl')
    writeFileSync(
      file,
      `variable "source_ami" {
  type    = string
  default = "ami-0abcdef1234567890"
}
data "amazon-ami" "base" {
  filters     = { name = "base-*" }
  owners      = ["self"]
  most_recent = true
}
source "amazon-ebs" "filtered" {
  source_ami_filter {
    filters     = { name = "base-*" }
    owners      = ["self"]
    most_recent = true
  }
}
source "amazon-ebs" "data" {
  source_ami = data.amazon-ami.base.id
}
source "amazon-ebs" "given" {
  source_ami = var.source_ami
}
source "amazon-ebs" "metadata" {
  source_ami = var.metadata.ami
}
source "amazon-ebs" "called" {
  source_ami = lower(data.amazon-ami.base.id)
}
build {
  sources = ["source.amazon-ebs.filtered", "source.amazon-ebs.data", "source.amazon-ebs.given", "source.amazon-ebs.metadata", "source.amazon-ebs.called"]
}
`
    )
    const builds = (await hclAmiBuilds([await readHclFile(file)])) ?? []
    // Read by the parser, not by the text: a variable whose name ends in "data" reads no data source.
    expect(builds.map(({ name, picksSourceAmi }) => [name, picksSourceAmi?.line])).toEqual([
      ['amazon-ebs.filtered', 11],
      ['amazon-ebs.data', 18],
      ['amazon-ebs.given', undefined],
      ['amazon-ebs.metadata', undefined],
      ['amazon-ebs.called', 27]
    ])
  })
})

describe('hclAmiBuilds: a source_ami_filter with the run\'s values', () => {
  it('gives the filters, owners and switches as this run gives them; none where a value only Packer works out, or a data source', async () => {
    const file = join(directory, 'filters.pkr.hcl')
    writeFileSync(
      file,
      `variable "os" {
  type = string
}
variable "owners" {
  type = list(string)
}
variable "latest" {
  type = bool
}
source "amazon-ebs" "given" {
  source_ami_filter {
    filters = {
      name                  = "\${var.os}-*"
      "virtualization-type" = "hvm"
    }
    owners             = var.owners
    most_recent        = var.latest
    include_deprecated = true
  }
}
source "amazon-ebs" "computed" {
  source_ami_filter {
    filters = { name = lower("BASE-*") }
    owners  = ["self"]
  }
}
source "amazon-ebs" "data" {
  source_ami = data.amazon-ami.base.id
}
build {
  sources = ["source.amazon-ebs.given", "source.amazon-ebs.computed", "source.amazon-ebs.data"]
}
`
    )
    const scope = { variables: new Map<string, unknown>([['os', 'al2023'], ['owners', ['amazon', '123456789012']], ['latest', true]]) }
    const builds = (await hclAmiBuilds([await readHclFile(file)], scope)) ?? []
    expect(builds.map(({ name, sourceAmiFilter }) => [name, sourceAmiFilter])).toEqual([
      ['amazon-ebs.given', { filters: { name: 'al2023-*', 'virtualization-type': 'hvm' }, owners: ['amazon', '123456789012'], mostRecent: true, includeDeprecated: true }],
      ['amazon-ebs.computed', undefined],
      ['amazon-ebs.data', undefined]
    ])
  })
})

describe('hclAmiBuilds: a data "amazon-ami" or "amazon-parameterstore" block a source_ami reads', () => {
  it('gives its filter with the run\'s values and the region it asks in (its own, else the home region); none where Packer alone can run it', async () => {
    const file = join(directory, 'data-sources.pkr.hcl')
    writeFileSync(
      file,
      `variable "os" {
  type = string
}
data "amazon-ami" "base" {
  filters = {
    name = "\${var.os}-*"
  }
  owners      = ["self", "amazon"]
  most_recent = true
  region      = "eu-west-1"
}
data "amazon-ami" "home" {
  filters = { name = "home-*" }
  owners  = ["self"]
}
data "amazon-ami" "keyed" {
  filters     = { name = "keyed-*" }
  owners      = ["self"]
  most_recent = true
  profile     = "images"
}
data "amazon-parameterstore" "latest" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}
source "amazon-ebs" "base" {
  region     = "us-west-2"
  profile    = "builds"
  source_ami = data.amazon-ami.base.id
}
source "amazon-ebs" "home" {
  source_ami = "\${data.amazon-ami.home.id}"
}
source "amazon-ebs" "keyed" {
  source_ami = data.amazon-ami.keyed.id
}
source "amazon-ebs" "parameter" {
  source_ami = data.amazon-parameterstore.latest.value
}
source "amazon-ebs" "called" {
  source_ami = lower(data.amazon-ami.base.id)
}
source "amazon-ebs" "undefined" {
  source_ami = data.amazon-ami.missing.id
}
locals {
  base_ami = data.amazon-ami.home.id
}
source "amazon-ebs" "local" {
  source_ami = local.base_ami
}
build {
  sources = ["source.amazon-ebs.base", "source.amazon-ebs.home", "source.amazon-ebs.keyed", "source.amazon-ebs.parameter", "source.amazon-ebs.called", "source.amazon-ebs.undefined", "source.amazon-ebs.local"]
}
`
    )
    const read = [await readHclFile(file)]
    const scope = { variables: new Map<string, unknown>([['os', 'al2023']]), locals: hclLocals(read.map(({ body }) => body)) }
    const builds = (await hclAmiBuilds(read, scope, 'us-east-1')) ?? []
    // Each still picks its source AMI as it builds; the action can ask for the first two and the parameter only.
    expect(builds.every((build) => build.picksSourceAmi !== undefined)).toBe(true)
    expect(builds.map(({ name, sourceAmiFilter }) => [name, sourceAmiFilter])).toEqual([
      [
        'amazon-ebs.base',
        { filters: { name: 'al2023-*' }, owners: ['self', 'amazon'], mostRecent: true, includeDeprecated: false, dataSource: { name: 'base', region: 'eu-west-1' } }
      ],
      ['amazon-ebs.home', { filters: { name: 'home-*' }, owners: ['self'], mostRecent: false, includeDeprecated: false, dataSource: { name: 'home', region: 'us-east-1' } }],
      ['amazon-ebs.keyed', undefined],
      ['amazon-ebs.parameter', undefined],
      ['amazon-ebs.called', undefined],
      ['amazon-ebs.undefined', undefined],
      ['amazon-ebs.local', { filters: { name: 'home-*' }, owners: ['self'], mostRecent: false, includeDeprecated: false, dataSource: { name: 'home', region: 'us-east-1' } }]
    ])
    // An amazon-parameterstore block's value: the parameter, read in the home region.
    expect(builds.map(({ sourceAmiParameter }) => sourceAmiParameter)).toEqual([
      undefined,
      undefined,
      undefined,
      { dataSource: 'latest', name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64', region: 'us-east-1' },
      undefined,
      undefined,
      undefined
    ])
    // No home region: Packer's data source would ask where its AWS session points, which the action does not know.
    const homeless = (await hclAmiBuilds(read, scope)) ?? []
    expect(homeless.map(({ sourceAmiFilter }) => sourceAmiFilter?.dataSource?.region)).toEqual(['eu-west-1', undefined, undefined, undefined, undefined, undefined, undefined])
    expect(homeless.every(({ sourceAmiParameter }) => sourceAmiParameter === undefined)).toBe(true)
  })
})

describe('hclSecretReads', () => {
  it('lists the secret attributes of the data sources the template reads, and every secret call packer console can work out alone, each once, sensitive or not', async () => {
    const files = await parsed({
      'secrets.pkr.hcl': `data "amazon-secretsmanager" "db" {
  name = "prod/db"
}
data "amazon-ami" "base" {
  filters = { name = "base-*" }
  owners  = ["self"]
}
data "amazon-parameterstore" "signing" {
  name            = "/ci/signing-key"
  with_decryption = true
}
data "amazon-parameterstore" "plain" {
  name = "/ci/region"
}
data "amazon-secretsmanager" "unread" {
  name = "prod/unread"
}
locals {
  token    = vault("secret/data/ci", "token")
  raw      = jsondecode(aws_secretsmanager_raw("ci/\${var.stage}"))
  db_pass  = data.amazon-secretsmanager.db.value
  db_json  = jsondecode(data.amazon-secretsmanager.db.secret_string)["password"]
  version  = data.amazon-secretsmanager.db.version_id
  signing  = data.amazon-parameterstore.signing.value
  region   = data.amazon-parameterstore.plain.value
}
local "key" {
  expression = aws_secretsmanager("ci/key", "key")
  sensitive  = true
}
source "amazon-ebs" "web" {
  region = "us-east-1"
}
build {
  sources = ["source.amazon-ebs.web"]
  provisioner "shell" {
    environment_vars = ["TOKEN=\${vault("secret/data/ci", "token")}", "NAME=\${upper(source.name)}", "PER=\${vault("secret/data/\${source.name}", "token")}"]
  }
}
`
    })
    // Only the attributes that hold the secret and that the template reads: not version_id, not a
    // parameter read without decryption, nothing of a data source no setting reads.
    expect((await hclSecretReads(files)).sort()).toEqual(
      [
        'vault("secret/data/ci", "token")',
        'aws_secretsmanager_raw("ci/${var.stage}")',
        'data.amazon-secretsmanager.db.value',
        'data.amazon-secretsmanager.db.secret_string',
        'data.amazon-parameterstore.signing.value',
        'aws_secretsmanager("ci/key", "key")'
      ].sort()
    )
  })
})

describe('hclAmiBuilds: the regions a build makes its AMIs in', () => {
  it('skip_create_ami and skip_save_build_region written as a variable: as this run gives them (a bool, or its text), else left to Packer', async () => {
    const file = join(directory, 'switches.pkr.hcl')
    writeFileSync(
      file,
      `variable "skip" {\n  type = bool\n}\nvariable "keep" {\n  type = string\n}\n` +
        `source "amazon-ebs" "web" {\n  region          = "us-east-1"\n  ami_regions     = ["eu-west-1"]\n  skip_create_ami = var.skip\n  skip_save_build_region = "\${var.keep}"\n}\n` +
        `build {\n  sources = ["source.amazon-ebs.web"]\n}\n`
    )
    const read = [await readHclFile(file)]
    const builds = async (variables: Array<[string, unknown]>) =>
      ((await hclAmiBuilds(read, { variables: new Map(variables) })) ?? []).map(({ skipsAmi, regions, location }) => ({ skipsAmi, regions, line: location.line }))
    expect(await builds([['skip', false], ['keep', 'true']])).toEqual([{ skipsAmi: false, regions: ['eu-west-1'], line: 7 }])
    expect(await builds([['skip', 'false'], ['keep', 'false']])).toEqual([{ skipsAmi: false, regions: ['eu-west-1', 'us-east-1'], line: 7 }])
    expect(await builds([['skip', true], ['keep', 'false']])).toEqual([{ skipsAmi: true, regions: undefined, line: 10 }])
    // Values only Packer decodes, or none given: left to it, as a variable was before.
    expect(await builds([['skip', 'yes'], ['keep', 'false']])).toEqual([{ skipsAmi: false, regions: undefined, line: 7 }])
    expect(await builds([['keep', 'false']])).toEqual([{ skipsAmi: false, regions: undefined, line: 7 }])
  })

  it("its source's region and ami_regions, as this run gives them, and a build block's source block's over the source's; none where only Packer knows them", async () => {
    const file = join(directory, 'regions.pkr.hcl')
    writeFileSync(
      file,
      `variable "home" {\n  type = string\n}\nvariable "copies" {\n  type = list(string)\n}\nvariable "unknown" {\n  type = string\n}\n` +
        `source "amazon-ebs" "web" {\n  region      = var.home\n  ami_regions = var.copies\n}\n` +
        `source "amazon-ebs" "api" {\n  region      = "eu-west-1"\n  ami_regions = ["us-west-2", "\${var.unknown}"]\n}\n` +
        `source "amazon-ebs" "db" {\n  region = "eu-west-1"\n}\n` +
        `build {\n  sources = ["source.amazon-ebs.web", "source.amazon-ebs.api"]\n  source "amazon-ebs.db" {\n    name = "db2"\n    ami_regions = ["us-east-1"]\n    force_deregister = true\n  }\n}\n`
    )
    const scope = { variables: new Map<string, unknown>([['home', 'us-east-1'], ['copies', ['eu-west-1', 'us-west-2']]]) }
    const builds = (await hclAmiBuilds([await readHclFile(file)], scope)) ?? []
    expect(builds.map(({ regions, mayDeregister }) => [regions, mayDeregister])).toEqual([
      [['eu-west-1', 'us-east-1', 'us-west-2'], undefined],
      [undefined, undefined],
      [['eu-west-1', 'us-east-1'], true]
    ])
    // Where each launches its instance: known though the regions its AMIs are in are not.
    expect(builds.map((build) => build.buildRegion)).toEqual(['us-east-1', 'eu-west-1', 'eu-west-1'])
  })

  it('the home region, which Packer is given as AWS_REGION, where the source names no region, with its ami_regions; none known without it', async () => {
    const file = join(directory, 'no-region.pkr.hcl')
    writeFileSync(
      file,
      `variable "empty" {\n  type    = string\n  default = ""\n}\n` +
        `source "amazon-ebs" "web" {\n  ami_regions = ["us-west-2"]\n}\n` +
        `source "amazon-ebs" "api" {\n  region = var.empty\n}\n` +
        `source "amazon-chroot" "base" {\n}\n` +
        `build {\n  sources = ["source.amazon-ebs.web", "source.amazon-ebs.api", "source.amazon-chroot.base"]\n}\n`
    )
    const scope = { variables: new Map<string, unknown>([['empty', '']]) }
    const regions = async (homeRegion?: string) => ((await hclAmiBuilds([await readHclFile(file)], scope, homeRegion)) ?? []).map((build) => build.regions)
    // amazon-chroot may take its region from the instance it runs on.
    expect(await regions('eu-central-1')).toEqual([['eu-central-1', 'us-west-2'], ['eu-central-1'], undefined])
    expect(await regions()).toEqual([undefined, undefined, undefined])
    const launchesIn = async (homeRegion?: string) => ((await hclAmiBuilds([await readHclFile(file)], scope, homeRegion)) ?? []).map((build) => build.buildRegion)
    expect(await launchesIn('eu-central-1')).toEqual(['eu-central-1', 'eu-central-1', undefined])
    expect(await launchesIn()).toEqual([undefined, undefined, undefined])
  })
})

describe('quotedReferenceWarnings', () => {
  const declared = { variables: new Set(['prefix', 'region', 'size', 'owner']), locals: new Set(['name']) }
  /** Each warning's setting and place: what it names, its line and column. */
  const found = async (file: string) =>
    (await quotedReferenceWarnings([await readHclFile(file)], declared)).map(({ message, location }) => [
      /^template: \S+: (.+?) is the text/.exec(message)?.[1],
      location?.line,
      location?.column
    ])

  it('warns of each declared reference in quotes in sources, builds, provisioners and post-processors, on the string', async () => {
    const file = join(directory, 'image.pkr.hcl')
    writeFileSync(
      file,
      `source "amazon-ebs" "web" {
  ami_name    = "var.prefix"
  ami_regions = ["eu-west-1", "var.region"]
  tags = {
    Name   = "local.name"
    region = "var.region"
    Owner  = "var.owner.email"
  }
  launch_block_device_mappings {
    device_name = "var.prefix"
    volume_size = "var.size"
  }
  region        = "var.region"
  communicator  = "var.prefix"
  description   = "see var.prefix docs"
  instance_type = "var.type"
}

build {
  name    = "local.name"
  sources = ["source.amazon-ebs.web"]

  source "amazon-ebs.web" {
    ami_description = "var.prefix"
  }

  provisioner "shell-local" {
    inline  = ["echo \${var.prefix}", "var.prefix"]
    timeout = "var.prefix"
  }

  post-processors {
    post-processor "manifest" {
      output = "local.name"
    }
  }
}
`
    )
    expect(await found(file)).toEqual([
      ['ami_name of source "amazon-ebs.web"', 2, 17],
      ['ami_regions of source "amazon-ebs.web"', 3, 31],
      ['Name in tags of source "amazon-ebs.web"', 5, 14],
      ['region in tags of source "amazon-ebs.web"', 6, 14],
      ['Owner in tags of source "amazon-ebs.web"', 7, 14],
      ['device_name in launch_block_device_mappings of source "amazon-ebs.web"', 10, 19],
      ['name of the build block', 20, 13],
      ['ami_description of source "amazon-ebs.web" of the build block', 24, 23],
      ['inline of provisioner "shell-local"', 28, 38],
      ['output of post-processor "manifest"', 34, 16]
    ])
  })

  it('reads a .pkr.json file alike, and tells to write the reference inside a string', async () => {
    const file = join(directory, 'image.pkr.json')
    const template = { source: { 'amazon-ebs': { web: { ami_name: 'var.prefix', ami_description: '${var.prefix}', tags: { Name: 'local.name' } } } } }
    writeFileSync(file, JSON.stringify(template, undefined, 2))
    const warnings = await quotedReferenceWarnings([await readHclFile(file)], declared)
    expect(warnings.map(({ location }) => [location?.line, location?.column])).toEqual([
      [5, 21],
      [8, 19]
    ])
    expect(warnings[0].message).toMatch(/builds with "var\.prefix" there\. Write "\$\{var\.prefix\}"\.$/)
  })
})

describe('hclSourceDataProblems', () => {
  /** Each problem found in `files`: where it is, and its message up to what it reads. */
  async function found(files: Record<string, string>): Promise<Array<{ line?: number; column?: number; says: string }>> {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
    const read = await Promise.all(hclTemplateFiles(directory).map((file) => readHclFile(file)))
    return (await hclSourceDataProblems(read)).map(({ message, location }) => ({
      line: location?.line,
      column: location?.column,
      says: message.replace(/^template: \S+: /, '').split(', ')[0]
    }))
  }

  it("finds the data a built Amazon source's rendered settings lack, in values, keys and tag blocks; not the source AMI's, HCL2's own ${ }, ami_name, nor a source no build builds", async () => {
    const template = `variable "prefix" {
  type    = string
  default = "{{ .Nope }}"
}

source "amazon-ebs" "web" {
  ami_name        = "web-{{ .Nope }}"
  ami_description = "\${var.prefix} from {{ .SourceAMIName }}"
  tags = {
    Source          = "{{ .SourceAMI }} {{ .SourceAMITags.Name }}"
    "{{ .Region }}" = "r"
    Build           = "{{ build \`ID\` }}"
  }
  run_volume_tags = { V = "{{ .Volume }}" }
  spot_tags       = { S = "{{ .Nope }}" }
  run_volume_tag {
    name  = "{{ .BuildRegion }}"
    value = "{{ .Owner }}"
  }
  snapshot_tag {
    key   = "{{ .Key }}"
    value = "v"
  }
}

source "amazon-ebs" "spot" {
  spot_price = "auto"
  spot_tags  = { S = "{{ .Nope }}" }
}

source "amazon-ebs" "unbuilt" {
  tags = { T = "{{ .Nope }}" }
}

source "null" "other" {
  tags = { T = "{{ .Nope }}" }
}

build {
  sources = ["source.amazon-ebs.web", "source.amazon-ebs.spot", "source.null.other"]
}
`
    expect(await found({ 'web.pkr.hcl': template })).toEqual([
      { line: 11, column: 5, says: 'the key "{{ .Region }}" in tags of source "amazon-ebs.web" reads {{ .Region }}' },
      { line: 12, column: 23, says: 'Build in tags of source "amazon-ebs.web" reads {{ build `ID` }}' },
      { line: 14, column: 27, says: 'V in run_volume_tags of source "amazon-ebs.web" reads {{ .Volume }}' },
      { line: 18, column: 5, says: 'value of run_volume_tag of source "amazon-ebs.web" reads {{ .Owner }}' },
      { line: 21, column: 5, says: 'key of snapshot_tag of source "amazon-ebs.web" reads {{ .Key }}' },
      { line: 28, column: 22, says: 'S in spot_tags of source "amazon-ebs.spot" reads {{ .Nope }}' }
    ])
  })

  it("reads a local map the tags are given as, or merge() is given, on the local's string (its key too); not a key a later map gives anew, nor a local a later map of unknown keys follows, nor another function's", async () => {
    const locals = `locals {
  common = {
    Base              = "{{ .SourceAMIName }}"
    Built             = "{{ .Nope }}"
    "{{ .Key }}"      = "k"
    Replaced          = "{{ .Gone }}"
  }
}
`
    const sources = `source "amazon-ebs" "whole" {
  tags = local.common
}

source "amazon-ebs" "merged" {
  run_tags = merge(local.common, { Replaced = "r" })
}

source "amazon-ebs" "unknown" {
  tags = merge(local.common, var.more)
}

source "amazon-ebs" "other" {
  tags = lookup({ a = local.common }, "a", {})
}

variable "more" {
  type    = map(string)
}

build {
  sources = ["source.amazon-ebs.whole", "source.amazon-ebs.merged", "source.amazon-ebs.unknown", "source.amazon-ebs.other"]
}
`
    expect(await found({ 'locals.pkr.hcl': locals, 'sources.pkr.hcl': sources })).toEqual([
      { line: 4, column: 25, says: 'Built in tags of source "amazon-ebs.whole" (in local.common) reads {{ .Nope }}' },
      { line: 5, column: 5, says: 'the key "{{ .Key }}" in tags of source "amazon-ebs.whole" (in local.common) reads {{ .Key }}' },
      { line: 6, column: 25, says: 'Replaced in tags of source "amazon-ebs.whole" (in local.common) reads {{ .Gone }}' },
      { line: 4, column: 25, says: 'Built in run_tags of source "amazon-ebs.merged" (in local.common) reads {{ .Nope }}' },
      { line: 5, column: 5, says: 'the key "{{ .Key }}" in run_tags of source "amazon-ebs.merged" (in local.common) reads {{ .Key }}' }
    ])
  })

  it("in HCL's JSON syntax too, on the key or the value", async () => {
    writeFileSync(
      join(directory, 'web.pkr.json'),
      JSON.stringify(
        {
          source: { 'amazon-ebs': { web: { ami_description: '{{ .Nope }}', tags: { '{{ .Key }}': 'k', V: '{{ .SourceAMIName }}' } } } },
          build: { sources: ['source.amazon-ebs.web'] }
        },
        null,
        2
      )
    )
    const read = await Promise.all(hclTemplateFiles(directory).map((file) => readHclFile(file)))
    const problems = await hclSourceDataProblems(read)
    expect(problems.map(({ message, location }) => ({ line: location?.line, column: location?.column, says: message.split(' reads ')[0] }))).toEqual([
      { line: 5, column: 28, says: `template: ${join(directory, 'web.pkr.json')}: ami_description of source "amazon-ebs.web"` },
      { line: 7, column: 11, says: `template: ${join(directory, 'web.pkr.json')}: the key "{{ .Key }}" in tags of source "amazon-ebs.web"` }
    ])
    expect(problems[0].message).toContain('Packer deregisters the AMI, and yet ends the build as a success')
  })
})

describe('hclTemplateDataProblems', () => {
  /** Each problem found in `files`: where it is, and its message up to what it reads. */
  async function found(files: Record<string, string>): Promise<Array<{ line?: number; column?: number; says: string }>> {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
    const read = await Promise.all(hclTemplateFiles(directory).map((file) => readHclFile(file)))
    return (await hclTemplateDataProblems(read)).map(({ message, location }) => ({
      line: location?.line,
      column: location?.column,
      says: message.replace(/^template: \S+: /, '').split(', ')[0]
    }))
  }

  it("finds the fields a command lacks, and any in what Packer renders with no data; not what each has, HCL2's own ${ }, nor a block no build runs", async () => {
    const template = `variable "greeting" {
  type    = string
  default = "hi"
}

source "amazon-ebs" "web" {
  communicator = "ssh"
}

build {
  sources = ["source.amazon-ebs.web"]

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}' {{ .EnvVarFile }} {{ .SourceAMI }}"
    inline          = ["echo \${var.greeting} $\${HOME} %{ if true }yes%{ endif }", "echo \${build.SourceAMI}"]
  }
  provisioner "shell" {
    execute_command = "{{ .Vars }} sh {{ .Script }}"
    inline          = ["echo hi"]
  }
  provisioner "windows-shell" {
    execute_command = "{{ .Vars }} cmd /c {{ .Path }} {{ .ID }}"
  }
  provisioner "powershell" {
    elevated_execute_command = "powershell {{ .Vars }} {{ .Path }} {{ .WinRMPassword }}"
    environment_vars         = ["PASSWORD={{ .WinRMPassword }}", "NAME={{ .Name }}"]
  }
  provisioner "shell-local" {
    only   = ["null.other"]
    inline = ["echo {{ .Foo }}"]
  }
  provisioner "file" {
    content     = "{{ .Foo }}"
    destination = "/tmp/a"
  }
  provisioner "shell-local" {
    inline = ["echo \${var.greeting}{{ .ID }}"]
  }

  post-processor "shell-local" {
    except          = ["amazon-ebs.web"]
    execute_command = ["/bin/sh", "-c", "{{ .Vars }} {{ .Path }}"]
  }
  post-processor "shell-local" {
    execute_command = ["/bin/sh", "-c", <<-EOT
      {{ .Vars }} {{ .Path }}
    EOT
    ]
  }
}
`
    expect(await found({ 'web.pkr.hcl': template })).toEqual([
      { line: 18, column: 5, says: 'execute_command of provisioner "shell" reads {{ .Script }}' },
      { line: 22, column: 5, says: 'execute_command of provisioner "windows-shell" reads {{ .ID }}' },
      { line: 26, column: 66, says: 'environment_vars of provisioner "powershell" reads {{ .Name }}' },
      { line: 37, column: 15, says: 'inline of provisioner "shell-local" reads {{ .ID }}' },
      { line: 45, column: 41, says: 'execute_command of post-processor "shell-local" reads {{ .Path }}' }
    ])
  })

  it("in HCL's JSON syntax too: says what Packer does with each, and what to write instead", async () => {
    writeFileSync(
      join(directory, 'web.pkr.json'),
      JSON.stringify(
        {
          source: { null: { web: { communicator: 'none' } } },
          build: { sources: ['source.null.web'], provisioner: [{ 'shell-local': { inline: ['echo {{ .Foo }}'], environment_vars: ['ID={{ .ID }}'] } }] }
        },
        null,
        2
      )
    )
    const read = await Promise.all(hclTemplateFiles(directory).map((file) => readHclFile(file)))
    const problems = await hclTemplateDataProblems(read)
    const file = join(directory, 'web.pkr.json')
    expect(problems).toEqual([
      {
        message:
          `template: ${file}: inline of provisioner "shell-local" reads {{ .Foo }}, but Packer renders inline with no template data: it runs the text ` +
          '"<no value>" there (a shell reads its < and > as redirections). Write the value itself, or a variable (${var.name}); the data of ' +
          'execute_command ({{.Vars}}, {{.Script}}, {{.Command}}) is not given to inline.',
        location: { file, line: 17, column: 13 }
      },
      {
        message:
          `template: ${file}: environment_vars of provisioner "shell-local" reads {{ .ID }}, but Packer renders environment_vars with no template data: ` +
          'the variable is set to the text "<no value>". An HCL2 template has the build\'s data as build.ID: write ${build.ID}.',
        location: { file, line: 20, column: 13 }
      }
    ])
  })

  it("says of a connection's value, as build data to write, that a build connecting none has none", async () => {
    writeFileSync(
      join(directory, 'web.pkr.json'),
      JSON.stringify({ source: { null: { web: { communicator: 'ssh' } } }, build: { sources: ['source.null.web'], provisioner: [{ 'shell-local': { environment_vars: ['H={{ .Host }}'] } }] } })
    )
    const read = await Promise.all(hclTemplateFiles(directory).map((file) => readHclFile(file)))
    const [problem] = await hclTemplateDataProblems(read)
    expect(problem.message).toMatch(/write \$\{build\.Host\}, in a build that connects to its instance: one whose communicator is "none" has no Host\.$/)
  })
})

describe('hclAmiBuilds: a setting whose value is null in this run is not set, as Packer takes it', () => {
  const template = `variable "aws_profile" {
  type    = string
  default = null
}
variable "aws_region" {
  type    = string
  default = null
}
variable "communicator" {
  type    = string
  default = "none"
}
variable "snapshot_tags" {
  type    = map(string)
  default = null
}
locals {
  profile = var.aws_profile
}
source "amazon-ebs" "direct" {
  profile       = var.aws_profile
  region        = var.aws_region
  communicator  = var.communicator
  ssh_interface = "session_manager"
  snapshot_tags = var.snapshot_tags
}
source "amazon-ebs" "local" {
  profile = local.profile
  region  = "eu-west-1"
}
source "amazon-ebs" "literal" {
  profile = null
}
source "amazon-ebs" "inside" {
  profile = "ci-\${var.aws_profile}"
}
build {
  sources = ["source.amazon-ebs.direct", "source.amazon-ebs.local", "source.amazon-ebs.literal", "source.amazon-ebs.inside"]
}
`
  async function builds(variables: Array<{ name: string; value: string }>, varFile?: string) {
    writeFileSync(join(directory, 'ami.pkr.hcl'), template)
    const varFiles = varFile === undefined ? [] : [join(directory, 'given.pkrvars.hcl')]
    if (varFile !== undefined) writeFileSync(varFiles[0], varFile)
    const request = { workingDirectory: directory, template: 'ami.pkr.hcl', varFiles, variables, manifest: join(directory, 'm.json'), manifestGiven: false, sensitiveValues: [], awsRegion: 'us-east-1' }
    const read = await readHclTemplate(request as unknown as Inputs, {})
    return Object.fromEntries((read.amiBuilds ?? []).map((build) => [build.name, build]))
  }

  it('left at its null default: no credentials of its own, the home region; and SSH for a communicator a variables file gives null over its default', async () => {
    const built = await builds([], 'communicator = null\n')
    expect(built['amazon-ebs.direct']).toMatchObject({ regions: ['us-east-1'], buildsInHomeRegion: true, sessionManager: { file: expect.any(String) } })
    expect(built['amazon-ebs.direct'].ownCredentials).toBeUndefined()
    // No snapshot tags, none of them of the action's own keys.
    expect(built['amazon-ebs.direct'].tags?.snapshots).toMatchObject({ keys: [] })
    expect(built['amazon-ebs.direct'].tags?.snapshots?.partial).toBeUndefined()
    expect(built['amazon-ebs.local'].ownCredentials).toBeUndefined()
    expect(built['amazon-ebs.literal'].ownCredentials).toBeUndefined()
    // Null inside more text is an error Packer reports: left to it, as a value only it knows.
    expect(built['amazon-ebs.inside'].ownCredentials).toEqual({ stepFree: true })
  })

  it('given a value by the variables input or a variables file: that value counts', async () => {
    const given = await builds([{ name: 'aws_profile', value: 'images' }], 'aws_region = "eu-west-1"\n')
    expect(given['amazon-ebs.direct']).toMatchObject({ regions: ['eu-west-1'], ownCredentials: { given: { profile: 'images' }, stepFree: true } })
    expect(given['amazon-ebs.direct'].sessionManager).toBeUndefined()
    expect(given['amazon-ebs.local'].ownCredentials).toEqual({ given: { profile: 'images' }, stepFree: true })
  })
})
