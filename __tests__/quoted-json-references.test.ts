import { describe, expect, it } from '@jest/globals'
import { jsonUnbracedCalls, unbracedUserCalls } from '../src/inputs/quoted-json-references.js'

describe('unbracedUserCalls', () => {
  const known = (name: string): boolean => ['region', 'prefix'].includes(name)

  it('finds a call to user outside {{ }}, alone or in other text, of a variable the template has', () => {
    expect(unbracedUserCalls('user `region`', known)).toEqual([{ written: 'user `region`', name: 'region' }])
    expect(unbracedUserCalls('ami-user `prefix`-{{timestamp}} and user  `prefix`', known)).toEqual([{ written: 'user  `prefix`', name: 'prefix' }])
  })

  it('leaves alone calls inside {{ }}, variables the template does not have, and words that only end in user', () => {
    expect(unbracedUserCalls('{{user `region`}} {{ split (user `prefix`) "-" 0 }}', known)).toEqual([])
    expect(unbracedUserCalls('run by user `whoami`', known)).toEqual([])
    expect(unbracedUserCalls('superuser `region` .user `region`', known)).toEqual([])
  })
})

describe('jsonUnbracedCalls', () => {
  it("names each string's setting and what it is of, and leaves out commands, comments, only/except and the settings checked with their values", () => {
    const template = {
      variables: { prefix: 'demo', region: '' },
      builders: [
        {
          type: 'amazon-ebs',
          _comment: 'user `prefix`',
          region: 'user `region`',
          ami_name: 'user `prefix`-x',
          user_data: 'echo user `prefix`',
          tags: { Name: 'user `prefix`' },
          launch_block_device_mappings: [{ device_name: 'user `prefix`' }]
        }
      ],
      provisioners: [
        { type: 'shell', inline: ['echo user `prefix`'], environment_vars: ['NAME=user `prefix`'], override: { 'amazon-ebs': { execute_command: 'user `prefix`' } } },
        { type: 'shell-local', only: ['user `prefix`'], command: 'user `prefix`' }
      ],
      'post-processors': [[{ type: 'manifest', output: 'user `given`.json' }]]
    }
    expect(jsonUnbracedCalls(template, ['given']).map(({ at, setting, of, text }) => ({ at, setting, of, text }))).toEqual([
      { at: ['builders', 0, 'ami_name'], setting: 'ami_name', of: 'builder "amazon-ebs"', text: 'user `prefix`-x' },
      { at: ['builders', 0, 'tags', 'Name'], setting: 'Name in tags', of: 'builder "amazon-ebs"', text: 'user `prefix`' },
      {
        at: ['builders', 0, 'launch_block_device_mappings', 0, 'device_name'],
        setting: 'device_name in launch_block_device_mappings',
        of: 'builder "amazon-ebs"',
        text: 'user `prefix`'
      },
      { at: ['provisioners', 0, 'environment_vars', 0], setting: 'environment_vars', of: 'provisioner "shell"', text: 'NAME=user `prefix`' },
      { at: ['post-processors', 0, 0, 'output'], setting: 'output', of: 'post-processor "manifest"', text: 'user `given`.json' }
    ])
  })
})
