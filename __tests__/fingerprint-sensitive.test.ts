// The fingerprint is public (the BuildFingerprint tag): the value of a sensitive variable in a
// template or variables file is left out of what it hashes, wherever and however the file writes
// it, and nothing else is. The bundled action's runs of the same cases are in
// e2e-fingerprint-secrets.test.ts; these read each way of writing a value on its own.
import { describe, expect, it } from '@jest/globals'
import { withoutSensitiveSettings, type ScreenedFile } from '../src/inputs/fingerprint.js'

const hclVariables: ScreenedFile = { path: 'secrets.pkrvars.hcl', syntax: 'hcl', role: 'variables file' }
const hclTemplate: ScreenedFile = { path: 'ami.pkr.hcl', syntax: 'hcl', role: 'template', templateKind: 'hcl' }
const hclJsonTemplate: ScreenedFile = { path: 'ami.pkr.json', syntax: 'json', role: 'template', templateKind: 'hcl' }
const jsonVariables: ScreenedFile = { path: 'secrets.json', syntax: 'json', role: 'variables file' }
const jsonTemplate: ScreenedFile = { path: 'packer.json', syntax: 'json', role: 'template', templateKind: 'json' }

/** The file's text as the fingerprint hashes it, with `token` sensitive. */
async function hashed(file: ScreenedFile, text: string, values: string[] = []): Promise<string> {
  return Buffer.from(await withoutSensitiveSettings(Buffer.from(text), file, new Set(['token']), values)).toString('utf8')
}

// Each gives `token` a value that holds the secret, in a form a search for it does not find.
const hclForms: Record<string, (secret: string) => string> = {
  '$${': (secret) => `"pre$\${${secret}}"`,
  '%%{': (secret) => `"pre%%{${secret}}"`,
  '\\u00e9': (secret) => `"\\u00e9${secret}"`,
  '\\U0001F600': (secret) => `"\\U0001F600${secret}"`,
  '\\" and \\\\': (secret) => `"\\"${secret}\\\\"`,
  '\\n': (secret) => `"${secret}\\nline"`,
  '\\t': (secret) => `"\\t${secret}"`,
  '<<EOF': (secret) => `<<EOF\n${secret}\nmore\nEOF\n`,
  '<<-EOF': (secret) => `<<-EOF\n    ${secret}\n    more\n  EOF\n`,
  '${"…"}': (secret) => `"${secret.slice(0, 3)}\${"${secret.slice(3)}"}x"`,
  'a list': (secret) => `["${secret}", "other"]`
}

describe('a sensitive value in an HCL file', () => {
  for (const [form, written] of Object.entries(hclForms)) {
    it(`written with ${form} in a variables file is left out whole, and the rest of the file kept`, async () => {
      const file = (secret: string): string => `region = "us-east-1"\ntoken = ${written(secret)}\nuser = "app"\n`
      const first = await hashed(hclVariables, file('hunter2'))
      expect(first).not.toContain('unter')
      expect(first).toContain('region = "us-east-1"\ntoken = ')
      expect(first).toContain('user = "app"\n')
      expect(await hashed(hclVariables, file('swordfish'))).toBe(first)
    })

    it(`written with ${form} as a sensitive variable's default in a template is left out`, async () => {
      const file = (secret: string): string =>
        `variable "token" {\n  type      = string\n  sensitive = true\n  default   = ${written(secret)}\n}\n\nvariable "user" {\n  default = "app"\n}\n`
      const first = await hashed(hclTemplate, file('hunter2'))
      expect(first).not.toContain('unter')
      expect(first).toContain('variable "user" {\n  default = "app"\n}')
      expect(await hashed(hclTemplate, file('swordfish'))).toBe(first)
    })
  }

  it('of one character is left out where it is set, not wherever the character is', async () => {
    const file = (secret: string, user: string): string => `user  = "${user}"\ntoken = "${secret}"\n`
    const first = await hashed(hclVariables, file('a', 'app'), ['a'])
    expect(first).toContain('user  = "app"')
    expect(await hashed(hclVariables, file('e', 'app'), ['e'])).toBe(first)
    expect(await hashed(hclVariables, file('a', 'pap'), ['a'])).not.toBe(first)
  })

  it("a sensitive local's expression, a `variables` block's entry: left out; a variable of the same name elsewhere is not", async () => {
    const file = (secret: string): string =>
      `variables {\n  token = "${secret}"\n}\n\nlocal "key" {\n  sensitive  = true\n  expression = "k-${secret}"\n}\n\nlocals {\n  token = "plain"\n}\n`
    const first = await hashed(hclTemplate, file('hunter2'))
    expect(first).not.toContain('unter')
    expect(first).toContain('token = "plain"')
    expect(await hashed(hclTemplate, file('swordfish'))).toBe(first)
  })

  it('with no sensitive setting: the bytes as they are', async () => {
    const text = Buffer.from('region = "us-east-1"\n\u00e9 = 1\n')
    expect(await withoutSensitiveSettings(text, hclVariables, new Set(['token']), ['us-east-1'])).toBe(text)
  })

  it('in a file that is not valid HCL: each known value left out wherever it is written, as text', async () => {
    const first = await hashed(hclVariables, 'token = "hunter2"\n{{ broken', ['hunter2'])
    expect(first).not.toContain('hunter2')
    expect(first).toContain('{{ broken')
  })
})

describe('a sensitive value in a JSON file', () => {
  it('with \\u escapes and \\/ in a variables file is left out whole, every time the name is set', async () => {
    const file = (escaped: string): string => `{"region": "us-east-1", "token": "${escaped}", "user": "app", "token": "${escaped}2"}`
    const first = await hashed(jsonVariables, file('\\u0068unter\\/2'))
    expect(first).not.toMatch(/unter|0068/)
    expect(first).toContain('"region": "us-east-1", "token": ')
    expect(first).toContain('"user": "app"')
    expect(await hashed(jsonVariables, file('\\u0073wordfish\\/3'))).toBe(first)
  })

  it("in a JSON template's variables: left out; a setting of the same name elsewhere is not", async () => {
    const file = (escaped: string): string =>
      `{"variables": {"token": "${escaped}", "user": "app"}, "sensitive-variables": ["token"], "builders": [{"token": "kept"}]}`
    const first = await hashed(jsonTemplate, file('\\u0068unter2'))
    expect(first).not.toContain('0068')
    expect(first).toContain('"builders": [{"token": "kept"}]')
    expect(await hashed(jsonTemplate, file('swordfish'))).toBe(first)
  })

  it("in a .pkr.json file: a variable's default, a variables block's entry, a sensitive local's expression, in either layout", async () => {
    const file = (escaped: string): string =>
      JSON.stringify([
        { variable: { token: { default: 'SECRET', sensitive: true } } },
        { variable: [{ token: [{ default: 'SECRET' }] }], variables: { token: 'SECRET' } },
        { local: { key: { expression: 'SECRET', sensitive: true }, open: { expression: 'plain' } } }
      ]).replaceAll('SECRET', escaped)
    const first = await hashed(hclJsonTemplate, file('\\u0068unter2'))
    expect(first).not.toContain('0068')
    expect(first).toContain('"expression":"plain"')
    expect(await hashed(hclJsonTemplate, file('swordfish'))).toBe(first)
  })
})
