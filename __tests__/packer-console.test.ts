// The values of sensitive variables and locals that only Packer can work out, asked of
// `packer console`: the real Packer reading a secret from a Vault on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SensitiveValue } from '../src/common/values.js'
import { askSensitiveValues, consoleExpression, readConsoleAnswer } from '../src/packer/console.js'
import { startVault, type VaultStandIn } from '../test-support/vault-stand-in/index.js'
import { describeWithPacker, packer } from './support/runtimes.js'

const variable = (name: string, value: string): SensitiveValue => ({ value, of: 'variable', name })
const local = (name: string, value: string): SensitiveValue => ({ value, of: 'local', name })
const secret = (name: string, value: string): SensitiveValue => ({ value, of: 'secret', name })

describe('what packer console is asked, and how its answer is read', () => {
  it('asks for the variables of a JSON template as hex bytes, one field each', () => {
    const question = { kind: 'json' as const, names: ['api_token', 'empty', 'key'] }
    expect(consoleExpression(question)).toBe('{{printf "% x" (user `api_token`)}}|{{printf "% x" (user `empty`)}}|{{printf "% x" (user `key`)}}')
    // "s3", nothing (a variable Vault gave no value), and "a\nb".
    expect(readConsoleAnswer(question, '73 33||61 0a 62\n')).toEqual([variable('api_token', 's3'), variable('key', 'a\nb')])
  })

  it('leaves out a name a Go template cannot quote, and reads each field as the value of the name asked for', () => {
    const question = { kind: 'json' as const, names: ['odd`name', 'fine'] }
    expect(consoleExpression(question)).toBe('{{printf "% x" (user `fine`)}}')
    expect(readConsoleAnswer(question, '73 33')).toEqual([variable('fine', 's3')])
  })

  it("asks for HCL2 locals as base64 of their JSON, and reads every string of them, quoted or not", () => {
    const question = { kind: 'hcl' as const, names: ['db', 'keys'] }
    expect(consoleExpression(question)).toBe('base64encode(jsonencode([local.db, local.keys]))')
    const encoded = Buffer.from(JSON.stringify(['pw', { prod: 'k1', dev: ['k2', 3] }])).toString('base64')
    const values = [local('db', 'pw'), local('keys', 'k1'), local('keys', 'k2'), local('keys', '3')]
    expect(readConsoleAnswer(question, encoded)).toEqual(values)
    expect(readConsoleAnswer(question, `"${encoded}"`)).toEqual(values)
  })

  it('asks for the secrets an HCL2 template reads after the locals, as written; and masks the fields of a JSON secret named as secrets, not its host or region', () => {
    const question = {
      kind: 'hcl' as const,
      names: ['db'],
      secrets: ['data.amazon-secretsmanager.app.secret_string', 'aws_secretsmanager_raw("ci/all")', 'data.amazon-parameterstore.key.value']
    }
    expect(consoleExpression(question)).toBe(
      'base64encode(jsonencode([local.db, data.amazon-secretsmanager.app.secret_string, aws_secretsmanager_raw("ci/all"), data.amazon-parameterstore.key.value]))'
    )
    const document = '{"username":"app","password":"p4ss","host":"db.internal","port":5432,"ssl":true,"region":"us-east-1"}'
    const encoded = Buffer.from(JSON.stringify(['pw', document, '{"api": {"key": "k3y", "url": "https://ci"}} ', 'K3yP4ram'])).toString('base64')
    expect(readConsoleAnswer(question, encoded)).toEqual([
      local('db', 'pw'),
      secret('data.amazon-secretsmanager.app.secret_string', document),
      secret('data.amazon-secretsmanager.app.secret_string', 'p4ss'),
      secret('aws_secretsmanager_raw("ci/all")', '{"api": {"key": "k3y", "url": "https://ci"}} '),
      secret('aws_secretsmanager_raw("ci/all")', 'k3y'),
      secret('data.amazon-parameterstore.key.value', 'K3yP4ram')
    ])
    // A value for each local and each secret.
    expect(() => readConsoleAnswer(question, Buffer.from('["pw", "x"]').toString('base64'))).toThrow(/JSON/)
  })

  it('refuses an answer in which Packer hid a sensitive value, or one that is not what was asked', () => {
    // Packer 1.15.1 and later hide sensitive values in what they print, even inside other text.
    expect(() => readConsoleAnswer({ kind: 'json', names: ['a'] }, '73 <sensitive> 33')).toThrow(/<sensitive>/)
    expect(() => readConsoleAnswer({ kind: 'hcl', names: ['a'] }, 'WyJh<sensitive>In0=')).toThrow(/<sensitive>/)
    expect(() => readConsoleAnswer({ kind: 'json', names: ['a'] }, 'Error: something')).toThrow(/hex/)
    expect(() => readConsoleAnswer({ kind: 'hcl', names: ['a'] }, '')).toThrow(/base64/)
    expect(() => readConsoleAnswer({ kind: 'hcl', names: ['a'] }, 'bm90IGpzb24=')).toThrow(/JSON/)
    // Not a value for each name asked for.
    expect(() => readConsoleAnswer({ kind: 'json', names: ['a', 'b'] }, '73')).toThrow(/hex/)
    expect(() => readConsoleAnswer({ kind: 'hcl', names: ['a', 'b'] }, Buffer.from('["pw"]').toString('base64'))).toThrow(/JSON/)
  })
})

describeWithPacker('packer console, asked for values it reads from Vault', () => {
  let directory: string
  let vault: VaultStandIn
  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, CHECKPOINT_DISABLE: '1', VAULT_ADDR: vault.url, VAULT_TOKEN: 'ci-token' })
  const request = (template: string, variables: Array<{ name: string; value: string }> = []) => ({
    workingDirectory: directory,
    template,
    varFiles: [],
    variables
  })

  beforeAll(async () => {
    vault = await startVault('ci-token', { 'secret/data/ci': { api_token: 'V4ultT0ken', deploy_key: 'KeyOne\nKeyTwo' } })
    directory = mkdtempSync(join(tmpdir(), 'console-'))
    writeFileSync(
      join(directory, 'template.json'),
      JSON.stringify({
        variables: {
          api_token: '{{vault `secret/data/ci` `api_token`}}',
          deploy_key: '{{vault `secret/data/ci` `deploy_key`}}',
          url: 'https://ci:{{user `api_token`}}@{{user `host`}}/',
          host: 'example.com'
        },
        'sensitive-variables': ['api_token', 'deploy_key', 'url'],
        builders: [{ type: 'null', communicator: 'none' }]
      })
    )
    mkdirSync(join(directory, 'hcl'))
    // Packer 1.6.6 has no `local` blocks (sensitive ones came with 1.7.0): a `locals` block
    // answers the same question.
    writeFileSync(
      join(directory, 'hcl', 'template.pkr.hcl'),
      'variable "user" {\n  type = string\n}\n' +
        'locals {\n  token = vault("secret/data/ci", "api_token")\n  urls = { ci = "https://${var.user}:${vault("secret/data/ci", "api_token")}@ci/" }\n}\n' +
        'source "null" "n" {\n  communicator = "none"\n}\nbuild {\n  sources = ["source.null.n"]\n}\n'
    )
  })
  afterAll(async () => {
    await vault.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('JSON: gives each value as the build would have it, one of several lines, one made of variables given', async () => {
    const answer = await askSensitiveValues(
      packer as string,
      { kind: 'json', names: ['api_token', 'deploy_key', 'url'] },
      request('template.json', [{ name: 'host', value: 'ci.internal' }]),
      { env: env() }
    )
    expect(answer).toEqual({ values: [variable('api_token', 'V4ultT0ken'), variable('deploy_key', 'KeyOne\nKeyTwo'), variable('url', 'https://ci:V4ultT0ken@ci.internal/')] })
  })

  it('JSON: gives a value whose answer is a longer line than the job log keeps', async () => {
    writeFileSync(
      join(directory, 'big.json'),
      JSON.stringify({ variables: { certificate: '' }, 'sensitive-variables': ['certificate'], builders: [{ type: 'null', communicator: 'none' }] })
    )
    // Asked for as hex bytes with a space between: three bytes of answer for each byte.
    const certificate = 'C'.repeat(40 * 1024)
    const answer = await askSensitiveValues(
      packer as string,
      { kind: 'json', names: ['certificate'] },
      request('big.json', [{ name: 'certificate', value: certificate }]),
      { env: env() }
    )
    expect(answer.problem).toBeUndefined()
    // Not shown whole when it differs: 40 KiB of it.
    expect(answer.values.map(({ value }) => value === certificate)).toEqual([true])
  })

  it('HCL2: gives every string of the locals asked for, with the variables given', async () => {
    const answer = await askSensitiveValues(
      packer as string,
      { kind: 'hcl', names: ['token', 'urls'] },
      request('hcl', [{ name: 'user', value: 'bot' }]),
      { env: env() }
    )
    expect(answer).toEqual({ values: [local('token', 'V4ultT0ken'), local('urls', 'https://bot:V4ultT0ken@ci/')] })
  })

  it('HCL2: gives the value of a vault() call as written, which no local holds', async () => {
    const call = 'vault("secret/data/ci", "api_token")'
    const answer = await askSensitiveValues(packer as string, { kind: 'hcl', names: [], secrets: [call] }, request('hcl', [{ name: 'user', value: 'bot' }]), { env: env() })
    expect(answer).toEqual({ values: [secret(call, 'V4ultT0ken')] })
  })

  it('says why when Packer cannot answer, and gives no value', async () => {
    const answer = await askSensitiveValues(packer as string, { kind: 'hcl', names: ['token', 'nope'] }, request('hcl', [{ name: 'user', value: 'bot' }]), {
      env: env()
    })
    expect(answer.values).toEqual([])
    expect(answer.problem).toMatch(/^packer console failed: .*Unsupported attribute/s)
  })

  it('says only the first problem of a template it cannot read, and how many more, each said once', async () => {
    writeFileSync(
      join(directory, 'hcl', 'broken.pkr.hcl'),
      'data "amazon-ami" "a" {}\ndata "amazon-ami" "b" {}\ndata "amazon-ami" "c" {}\n'
    )
    try {
      const answer = await askSensitiveValues(packer as string, { kind: 'hcl', names: ['token'] }, request('hcl', [{ name: 'user', value: 'bot' }]), {
        env: env()
      })
      expect(answer.values).toEqual([])
      expect(answer.problem).toMatch(/^packer console failed: Error: Unsupported block type\n\n {2}on hcl\/broken\.pkr\.hcl line 1\b[^]*\n\n\(and 2 more errors\)$/)
    } finally {
      rmSync(join(directory, 'hcl', 'broken.pkr.hcl'))
    }
  })

  it('is stopped at its deadline when the secret store takes the request and never answers', async () => {
    const silent = await startVault('ci-token', {}, { hang: true })
    try {
      const answer = await askSensitiveValues(packer as string, { kind: 'json', names: ['api_token'] }, request('template.json'), {
        env: { ...env(), VAULT_ADDR: silent.url },
        // Long enough for Packer to reach Vault on a busy machine.
        deadlineMs: 5_000
      })
      expect(answer).toEqual({
        values: [],
        problem:
          'packer console did not finish within 5 s and was stopped: ' +
          'Packer was reading a secret, or running a data source, whose service did not answer'
      })
      expect(silent.reads).toEqual([{ path: 'secret/data/ci', token: 'ci-token' }])
    } finally {
      await silent.close()
    }
  })
})
