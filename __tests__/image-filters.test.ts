import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { imageFilterMistake, imageFilterNames, jsonImageFilterProblems } from '../src/inputs/image-filters.js'

/**
 * DescribeImages' filter names as the installed SDK documents them: its DescribeImagesRequest's
 * list, each item a line that begins `<code>name</code> -` (the items of an item's own list, such
 * as the severities of scan-result filters, are indented further).
 */
function sdkImageFilterNames(): string[] {
  const models = join(dirname(createRequire(import.meta.url).resolve('@aws-sdk/client-ec2')), '..', 'dist-types', 'models')
  const file = readdirSync(models).map((name) => readFileSync(join(models, name), 'utf8')).find((text) => text.includes('export interface DescribeImagesRequest {'))
  const request = (file ?? '').split('export interface DescribeImagesRequest {')[1]?.split('\n}\n')[0] ?? ''
  const items = [...request.matchAll(/^(\s*\*\s*)<code>([a-z][^<]*)<\/code> -/gm)].map(([, indent, name]) => ({ indent: indent.length, name }))
  const outermost = Math.min(...items.map(({ indent }) => indent))
  return items.filter(({ indent }) => indent === outermost).map(({ name }) => name)
}

describe('imageFilterMistake', () => {
  it("knows DescribeImages' filters as the SDK documents them, so that an SDK that adds one shows the list to update", () => {
    expect([...imageFilterNames].sort()).toEqual(sdkImageFilterNames().sort())
  })

  it('names the DescribeImages filter a misspelt one was meant to be', () => {
    expect(imageFilterMistake('virtualisation-type')).toContain('did you mean "virtualization-type"?')
    expect(imageFilterMistake('root_device_type')).toContain('did you mean "root-device-type"?')
    expect(imageFilterMistake('Name')).toContain('did you mean "name"?')
  })

  it("leaves alone the names EC2 knows, tag: names, names only Packer works out, and names far from any (EC2's to judge)", () => {
    for (const name of ['name', 'virtualization-type', 'block-device-mapping.volume-type', 'tag:Name', 'tag:virtualisation-type', '{{user `f`}}', '${var.f}', 'arch', 'colour']) {
      expect(imageFilterMistake(name)).toBeUndefined()
    }
  })
})

describe('jsonImageFilterProblems', () => {
  const template = {
    builders: [
      { type: 'amazon-ebs', name: 'east', source_ami_filter: { filters: { 'virtualization-typ': 'hvm', name: 'x' } } },
      { type: 'googlecompute', source_ami_filter: { filters: { 'virtualization-typ': 'hvm' } } }
    ]
  }

  it('reports the Amazon builders Packer builds, on the name', () => {
    expect(jsonImageFilterProblems(template, 'ami.json', '/w/ami.json', () => true)).toEqual([
      {
        message: expect.stringMatching(/^template: ami\.json: source_ami_filter of builder "east" filters on "virtualization-typ", .* did you mean "virtualization-type"\?/),
        location: { file: 'ami.json', value: { path: '/w/ami.json', at: ['builders', 0, 'source_ami_filter', 'filters', 'virtualization-typ'] } }
      }
    ])
  })

  it('leaves out builders that only or except leave out', () => {
    expect(jsonImageFilterProblems(template, 'ami.json', '/w/ami.json', () => false)).toEqual([])
  })
})
