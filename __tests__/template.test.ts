import { describe, expect, it } from '@jest/globals'
import {
  checkJsonVarFile,
  describeJsonTemplate,
  hclManifestOutput,
  JsonSyntaxError,
  parseJsonWithPosition,
  positionOf,
  templateKind
} from '../src/inputs/template.js'

describe('templateKind', () => {
  it('follows Packer: HCL2 for .pkr.hcl, .pkr.json and directories', () => {
    expect(templateKind('packer-template.json', false)).toBe('json')
    expect(templateKind('ami.pkr.hcl', false)).toBe('hcl')
    expect(templateKind('ami.pkr.json', false)).toBe('hcl')
    expect(templateKind('packer', true)).toBe('hcl')
  })
})

describe('parseJsonWithPosition', () => {
  it('reports the line and column of a syntax error', () => {
    const text = '{\n  "builders": [\n    {"type": "amazon-ebs",\n  ]\n}\n'
    try {
      parseJsonWithPosition(text)
      throw new Error('expected a syntax error')
    } catch (error) {
      expect(error).toBeInstanceOf(JsonSyntaxError)
      expect((error as JsonSyntaxError).position).toEqual({ line: 4, column: 3 })
    }
  })

  it('points at the end for a truncated file', () => {
    try {
      parseJsonWithPosition('{\n  "a": 1')
      throw new Error('expected a syntax error')
    } catch (error) {
      expect((error as JsonSyntaxError).position?.line).toBe(2)
    }
  })

  it('counts lines and columns from 1', () => {
    expect(positionOf('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
  })
})

describe('describeJsonTemplate', () => {
  it('names builds, post-processor types and the manifest output', () => {
    const info = describeJsonTemplate({
      builders: [{ type: 'amazon-ebs' }, { type: 'amazon-ebs', name: 'arm' }],
      'post-processors': [['shell-local', { type: 'manifest', output: 'out/manifest.json' }]]
    })
    expect(info).toEqual({
      builders: [
        { type: 'amazon-ebs', name: 'amazon-ebs' },
        { type: 'amazon-ebs', name: 'arm' }
      ],
      postProcessorTypes: ['shell-local', 'manifest'],
      manifestOutput: 'out/manifest.json'
    })
  })

  it('leaves a templated manifest output to the default', () => {
    const info = describeJsonTemplate({
      builders: [{ type: 'amazon-ebs' }],
      'post-processors': [{ type: 'manifest', output: '{{user `dir`}}/m.json' }]
    })
    expect(info.manifestOutput).toBeUndefined()
  })

  it('says what is missing', () => {
    expect(() => describeJsonTemplate({})).toThrow('expected "builders" to be a non-empty array')
    expect(() => describeJsonTemplate({ builders: [{}] })).toThrow('builder 1 has no "type"')
    expect(() => describeJsonTemplate([])).toThrow('expected a JSON object')
  })
})

describe('hclManifestOutput', () => {
  it('reads a literal output and ignores expressions', () => {
    const source = 'build {\n  post-processor "manifest" {\n    output = "out/m.json"\n  }\n}\n'
    expect(hclManifestOutput(source)).toBe('out/m.json')
    expect(hclManifestOutput(source.replace('out/m.json', '${var.dir}/m.json'))).toBeUndefined()
    expect(hclManifestOutput('build {}')).toBeUndefined()
  })
})

describe('checkJsonVarFile', () => {
  it('accepts a flat object of strings only', () => {
    expect(checkJsonVarFile({ region: 'us-east-1' })).toBeUndefined()
    expect(checkJsonVarFile({ count: 2 })).toBe('expected variable "count" to be a string, found 2')
    expect(checkJsonVarFile(['x'])).toMatch(/expected a JSON object/)
  })
})
