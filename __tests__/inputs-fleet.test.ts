// The inputs of the stages after tagging, read with the rest: each rule checked once, with a
// message naming the input.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InputError, readInputs, type Inputs } from '../src/inputs/index.js'
import { actionDefaults } from './support/action-process.js'

let workspace: string
beforeEach(() => {
  workspace = mkdtempSync(join(tmpdir(), 'inputs-fleet-'))
  writeFileSync(join(workspace, 'packer-template.json'), JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'web' }] }))
})
afterEach(() => rmSync(workspace, { recursive: true, force: true }))

function read(inputs: Record<string, string>): Promise<Inputs> {
  const all = { ...actionDefaults(), ...inputs }
  return readInputs((name) => all[name] ?? '', { GITHUB_WORKSPACE: workspace, GITHUB_REPOSITORY: 'acme/images' })
}

async function problems(inputs: Record<string, string>): Promise<string[]> {
  try {
    await read(inputs)
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((problem) => problem.message)
    throw error
  }
  throw new Error('expected the inputs to be rejected')
}

describe('launch-template', () => {
  it('is off by default; a name or an ID names the template', async () => {
    const defaults = await read({})
    expect(defaults.launchTemplate).toBeUndefined()
    expect(defaults.launchTemplateDefault).toBe(true)
    expect((await read({ 'launch-template': 'web-servers' })).launchTemplate).toEqual({ name: 'web-servers' })
    expect((await read({ 'launch-template': 'lt-0123456789abcdef0' })).launchTemplate).toEqual({ id: 'lt-0123456789abcdef0' })
    expect((await read({ 'launch-template-default': 'false' })).launchTemplateDefault).toBe(false)
  })

  it('rejects what EC2 would reject', async () => {
    expect(await problems({ 'launch-template': 'a b', 'launch-template-default': 'no' })).toEqual([
      'launch-template-default: expected true or false, found "no"',
      'launch-template: expected a launch template ID (lt- and 17 hex digits) or a name of 3 to 128 letters, digits and ( ) . - / _, found "a b"'
    ])
  })
})

describe('ssm-parameter', () => {
  it('takes a plain name or a path', async () => {
    expect((await read({})).ssmParameter).toBeUndefined()
    expect((await read({ 'ssm-parameter': '/images/web/latest' })).ssmParameter).toBe('/images/web/latest')
    expect((await read({ 'ssm-parameter': 'web-ami' })).ssmParameter).toBe('web-ami')
  })

  it.each([
    ['images/web', 'a path that begins with "/" (e.g. /images/web/latest)'],
    ['/aws/service/web', 'a name that does not begin with "aws" or "ssm"'],
    ['SSM-web', 'a name that does not begin with "aws" or "ssm"'],
    ['/images/web latest', 'only letters, digits and _ . - /'],
    ['/images//web', 'a path without empty levels']
  ])('rejects %s', async (name, expected) => {
    expect(await problems({ 'ssm-parameter': name })).toEqual([
      `ssm-parameter: expected a Parameter Store name with ${expected}, found "${name}"`
    ])
  })
})
