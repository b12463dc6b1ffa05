// HCL2 templates read with HashiCorp's parser: the files are parsed for real, no stand-in.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Inputs } from '../src/inputs/index.js'
import { readHclTemplateInThread } from '../src/inputs/hcl-thread.js'
import {
  hclBuildCount,
  hclManifestOutput,
  hclRequiredPlugins,
  hclSensitiveValues,
  hclStringValue,
  hclTemplateFiles,
  hclVariableCandidates,
  parseHclFile,
  readHclTemplate
} from '../src/inputs/hcl.js'

let directory: string
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'hcl-'))
})
afterEach(() => rmSync(directory, { recursive: true, force: true }))

async function parsed(files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text)
  return Promise.all(hclTemplateFiles(directory).map((file) => parseHclFile(file)))
}

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
    expect(values.sort()).toEqual(
      ['from-default', 'key-one', 'key-two', 'from-auto', 'line-one\nline-two\n', 'from-json', 'from-env', 'from-input'].sort()
    )
  })

  it('is empty when no variable is sensitive', async () => {
    const files = await parsed({ 'vars.pkr.hcl': 'variable "region" {\n  default = "us-east-1"\n}\n' })
    const candidates = await hclVariableCandidates(files, directory, [], [{ name: 'region', value: 'x' }], {})
    expect(hclSensitiveValues(files, candidates)).toEqual([])
  })
})

describe('hclStringValue', () => {
  const values = new Map<string, unknown>([
    ['dir', 'out'],
    ['name', 'images.json'],
    ['list', ['a']],
    ['endpoint', '${env("X")}']
  ])
  it('evaluates literal text and input variables', async () => {
    expect(await hclStringValue('m.json', values)).toBe('m.json')
    expect(await hclStringValue('${var.name}', values)).toBe('images.json')
    expect(await hclStringValue('${var.dir}/${var.name}', values)).toBe('out/images.json')
  })
  it('leaves anything else to Packer', async () => {
    expect(await hclStringValue('${local.dir}/m.json', values)).toBeUndefined()
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
  })

  it('counts one for a single source, and none without a build block', async () => {
    expect(hclBuildCount(await parsed({ 'one.pkr.hcl': 'build {\n  sources = ["source.amazon-ebs.a"]\n}\n' }))).toBe(1)
    rmSync(join(directory, 'one.pkr.hcl'))
    expect(hclBuildCount(await parsed({ 'vars.pkr.hcl': 'variable "x" {}\n' }))).toBe(0)
  })
})

describe('readHclTemplateInThread', () => {
  const request = () =>
    ({
      workingDirectory: directory,
      template: '.',
      varFiles: ['prod.pkrvars.hcl'],
      variables: [{ name: 'api_token', value: 'FromVariables' }],
      manifest: join(directory, 'packer-manifest.json'),
      manifestGiven: false,
      sensitiveValues: ['FromInput']
    }) as unknown as Inputs

  it('answers, from the bundled thread (dist/stages/hcl-template.js), what the template tells in-process', async () => {
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
    const bundled = new URL('../dist/stages/hcl-template.js', import.meta.url)

    const inThread = await readHclTemplateInThread(request(), bundled)

    expect(inThread).toEqual(await readHclTemplate(request()))
    expect(inThread).toEqual({
      manifest: join(directory, 'images/manifest.json'),
      sensitiveValues: ['FromInput', 'FromDefault', 'FromFile', 'FromVariables'],
      requiredPlugins: ['{"amazon":{"source":"github.com/hashicorp/amazon","version":">= 1.2.0"}}'],
      buildCount: 0
    })
  })

  it('fails with what went wrong in the thread, naming the template', async () => {
    const worker = join(directory, 'throws.mjs')
    writeFileSync(worker, "throw new Error('out of memory')\n")
    await expect(readHclTemplateInThread(request(), pathToFileURL(worker))).rejects.toThrow(
      'Reading . with the HCL parser: out of memory'
    )
  })

  it('fails when the thread ends without an answer', async () => {
    const worker = join(directory, 'quits.mjs')
    writeFileSync(worker, 'process.exit(7)\n')
    await expect(readHclTemplateInThread(request(), pathToFileURL(worker))).rejects.toThrow(
      'Reading . with the HCL parser: its thread ended (exit code 7) without an answer'
    )
  })
})
