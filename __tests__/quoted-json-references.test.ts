import { describe, expect, it } from '@jest/globals'
import { jsonUnbracedCalls, unbracedCalls } from '../src/inputs/quoted-json-references.js'

describe('unbracedCalls', () => {
  const known = (name: string): boolean => ['region', 'prefix'].includes(name)

  it('finds a call to user outside {{ }}, alone or in other text, of a variable the template has', () => {
    expect(unbracedCalls('user `region`', known)).toEqual([{ written: 'user `region`', fn: 'user', name: 'region' }])
    expect(unbracedCalls('ami-user `prefix`-{{timestamp}} and user  `prefix`', known)).toEqual([{ written: 'user  `prefix`', fn: 'user', name: 'prefix' }])
  })

  it('finds user with a Go string in double quotes, and env of any name an environment variable can have', () => {
    expect(unbracedCalls('user "prefix"-x', known)).toEqual([{ written: 'user "prefix"', fn: 'user', name: 'prefix' }])
    expect(unbracedCalls('env `HOME` and env "AWS_PROFILE"', known)).toEqual([
      { written: 'env `HOME`', fn: 'env', name: 'HOME' },
      { written: 'env "AWS_PROFILE"', fn: 'env', name: 'AWS_PROFILE' }
    ])
  })

  it('leaves alone env inside {{ }}, and text that only looks like it', () => {
    expect(unbracedCalls('{{env `HOME`}} {{ env "HOME" }}', known)).toEqual([])
    expect(unbracedCalls('dev-env `ls -l` env `1x` .env `HOME`', known)).toEqual([])
  })

  it('leaves alone calls inside {{ }}, variables the template does not have, and words that only end in user', () => {
    expect(unbracedCalls('{{user `region`}} {{ split (user `prefix`) "-" 0 }}', known)).toEqual([])
    expect(unbracedCalls('run by user `whoami`', known)).toEqual([])
    expect(unbracedCalls('superuser `region` .user `region`', known)).toEqual([])
  })
})

describe('jsonUnbracedCalls', () => {
  it("names each string's setting and what it is of, and leaves out commands, comments, only/except and the settings checked with their values", () => {
    const template = {
      variables: { prefix: 'demo', region: '', home: 'env `HOME`', _comment: 'env `HOME`' },
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
      { at: ['variables', 'home'], setting: 'default', of: 'variable "home"', text: 'env `HOME`' },
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
