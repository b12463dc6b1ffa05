import { describe, expect, it } from '@jest/globals'
import { imageFilterMistake, jsonImageFilterProblems } from '../src/inputs/image-filters.js'

describe('imageFilterMistake', () => {
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
