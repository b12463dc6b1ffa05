// The HCL parser the action ships (tree-sitter's HCL grammar) read against HashiCorp's own
// (hcl2json: HashiCorp's HCL library compiled from Go, a dev dependency only): on every HCL2
// file of the examples, the demo, the test fixtures and, when it is there,
// ../shared/fixtures/realworld; and on generated files made of the syntax templates use, where
// both must also give the values the file was written from.
import { afterAll, describe, expect, it } from '@jest/globals'
import { parse as hashicorpParse } from '@cdktf/hcl2json'
import fc from 'fast-check'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { parseHclFile } from '../src/inputs/hcl.js'
import { projectRoot } from './support/action-process.js'

/** What HashiCorp's parser gives, as JSON values (it gives numbers as JSON numbers too). */
async function hashicorp(name: string, text: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await hashicorpParse(name, text)))
}

let scratch: string | undefined
async function ours(name: string, text: string): Promise<unknown> {
  scratch ??= mkdtempSync(join(tmpdir(), 'hcl-property-'))
  const path = join(scratch, name)
  writeFileSync(path, text)
  try {
    return await parseHclFile(path)
  } finally {
    rmSync(path, { force: true })
  }
}

function hclFiles(directory: string): string[] {
  if (!existsSync(directory)) return []
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (name === 'node_modules' || name.startsWith('.')) return []
    if (statSync(path).isDirectory()) return hclFiles(path)
    return name.endsWith('.hcl') ? [path] : []
  })
}

const realworld = join(projectRoot, '..', 'shared', 'fixtures', 'realworld')

describe("the HCL parser against HashiCorp's", () => {
  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true })
  })
  const files = ['examples', 'demo', '__tests__/fixtures'].flatMap((folder) => hclFiles(join(projectRoot, folder)))
  const publicFiles = hclFiles(realworld)
  if (publicFiles.length === 0) console.log(`Comparing without the public templates: ${realworld} is not there.`)

  const named = (path: string): string =>
    path.startsWith(realworld) ? path.slice(realworld.length + 1) : path.slice(projectRoot.length + 1)
  it.each([...files, ...publicFiles].map((path) => [named(path), path]))(
    '%s reads the same',
    async (_name, path) => {
      const text = readFileSync(path, 'utf8')
      expect(await ours(basename(path), text)).toEqual(await hashicorp(basename(path), text))
    }
  )

  it('reads generated files the same, with the values they were written from', async () => {
    await fc.assert(
      fc.asyncProperty(hclFile, async ({ text, literal }) => {
        const expected = await hashicorp('generated.pkr.hcl', text)
        const read = await ours('generated.pkr.hcl', text)
        expect(read).toEqual(expected)
        expect(read).toEqual(literal)
      }),
      { numRuns: 300 }
    )
  })
})

// ------------------------------------------------------------------ generated HCL

/** Text and the value HCL reads from it. */
interface Written {
  text: string
  value: unknown
}

const keywords = new Set(['true', 'false', 'null', 'for', 'in', 'if', 'else', 'endif', 'endfor'])
const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/).filter((word) => !keywords.has(word))

/** Text as users put in strings: quotes, backslashes, `${` and `%{` to escape, tabs, unicode. */
const stringText = fc
  .array(
    fc.constantFrom('a', 'Z', '0', ' ', '-', '/', '.', ':', '"', '\\', '$', '{', '}', '%', '\t', '\n', 'é', '😀', '${', '%{', '$${'),
    { maxLength: 12 }
  )
  .map((parts) => parts.join(''))

function quoted(text: string): string {
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\n', '\\n')
    .replaceAll('\t', '\\t')
    .replaceAll('${', () => '$${')
    .replaceAll('%{', '%%{')
  return `"${escaped}"`
}

/** How HCL's JSON syntax writes a string of literal text: `${` and `%{` escaped. */
function templateOf(text: string): string {
  return text.replaceAll('${', () => '$${').replaceAll('%{', '%%{')
}

/**
 * tree-sitter's grammar reads `$` or `%` right before an escaped `${` or `%{` (`"$$${"`) as
 * not HCL, where HashiCorp's parser reads `$${`: such a file is reported, not read (hcl.test.ts).
 */
const readByBoth = (text: string): boolean => !quoted(text).includes('$$${') && !quoted(text).includes('%%%{')

const stringValue: fc.Arbitrary<Written> = stringText
  .filter(readByBoth)
  .map((text) => ({ text: quoted(text), value: templateOf(text) }))

/** `"text${var.x}text"`: kept as written, with the literal parts' `${` escaped. */
const interpolated: fc.Arbitrary<Written> = fc
  .tuple(fc.stringMatching(/^[a-z0-9 ./-]{0,6}$/), name, fc.stringMatching(/^[a-z0-9 ./-]{0,6}$/))
  .map(([before, variable, after]) => ({
    text: `"${before}\${var.${variable}}${after}"`,
    value: `${before}\${var.${variable}}${after}`
  }))

/** `1e3`, `2E-2`, `1.5e+3`: an exponent, with or without a fraction. */
const withExponent = fc
  .tuple(fc.nat({ max: 999 }), fc.option(fc.nat({ max: 99 })), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.nat({ max: 20 }))
  .map(([whole, part, mark, sign, power]) => `${whole}${part === null ? '' : `.${part}`}${mark}${sign}${power}`)

const numberValue: fc.Arbitrary<Written> = fc.oneof(
  fc.nat({ max: 100_000 }).map((n) => ({ text: String(n), value: n })),
  fc.nat({ max: 100_000 }).map((n) => ({ text: `-${n}`, value: -n || 0 })),
  fc.tuple(fc.nat({ max: 999 }), fc.integer({ min: 1, max: 99 })).map(([whole, part]) => ({
    text: `${whole}.${part}`,
    value: Number(`${whole}.${part}`)
  })),
  withExponent.map((text) => ({ text, value: Number(text) })),
  withExponent.map((text) => ({ text: `-${text}`, value: -Number(text) || 0 }))
)

const otherLiteral: fc.Arbitrary<Written> = fc.constantFrom(
  { text: 'true', value: true },
  { text: 'false', value: false },
  { text: 'null', value: null },
  { text: '!true', value: false }
)

/** An expression HCL does not evaluate without a context: kept as `${source}`. */
const expression: fc.Arbitrary<Written> = fc
  .constantFrom(
    'var.region',
    'local.tags["Name"]',
    'upper(var.x)',
    'var.list[0]',
    'var.a ? "x" : "y"',
    '[for s in var.l : s]',
    'var.size * 1e3'
  )
  .map((source) => ({ text: source, value: `\${${source}}` }))

/** A heredoc, plain or flush, whose lines are any text without `${`, `%{` or its marker. */
const heredoc: fc.Arbitrary<Written> = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(fc.nat({ max: 4 }), fc.stringMatching(/^[a-z0-9 "\\./:=-]{0,10}$/)), { minLength: 1, maxLength: 4 })
  )
  .map(([flush, lines]) => {
    const indented = lines.map(([indent, line]) => ' '.repeat(indent) + line)
    if (!flush) return { text: `<<EOT\n${indented.join('\n')}\nEOT`, value: `${indented.join('\n')}\n` }
    const counted = indented.filter((line) => line.trim() !== '')
    const shortest = counted.length === 0 ? 0 : Math.min(...counted.map((line) => line.length - line.trimStart().length))
    // A line of white space only is left as it is.
    const value = indented.map((line) => (line.trim() === '' ? `  ${line}` : line.slice(shortest))).join('\n')
    return { text: `<<-EOT\n${indented.map((line) => `  ${line}`).join('\n')}\n  EOT`, value: `${value}\n` }
  })

const { value: anyValue } = fc.letrec<{ value: Written }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, withCrossShrink: true },
    stringValue,
    numberValue,
    otherLiteral,
    interpolated,
    expression,
    heredoc,
    fc.array(tie('value'), { maxLength: 3 }).map((items) => ({
      // A heredoc's closing marker ends its line: each item gets a line of its own.
      text: `[\n${items.map((item) => item.text).join('\n,\n')}\n]`,
      value: items.map((item) => item.value)
    })),
    fc.uniqueArray(fc.tuple(name, tie('value')), { maxLength: 3, selector: ([key]) => key }).map((entries) => ({
      text: `{\n${entries.map(([key, item]) => `${key} = ${item.text}`).join('\n')}\n}`,
      value: Object.fromEntries(entries.map(([key, item]) => [key, item.value]))
    }))
  )
}))

/** Block types as Packer's files have them, each with its number of labels. */
const blockTypes: Record<string, number> = { source: 2, build: 0, provisioner: 1, 'post-processor': 1, variable: 1, locals: 0 }
const label = fc.stringMatching(/^[a-z0-9 ._-]{1,8}$/)

/** A body: attributes, then blocks nested up to `depth` deep, as Packer's files have them. */
function bodyOf(depth: number): fc.Arbitrary<Written> {
  const block = fc.tuple(
    fc.constantFrom(...Object.keys(blockTypes)),
    fc.array(label, { minLength: 2, maxLength: 2 }),
    depth > 0 ? bodyOf(depth - 1) : fc.constant({ text: '', value: {} })
  )
  return fc
    .tuple(
      fc.uniqueArray(fc.tuple(name.filter((key) => !(key in blockTypes)), anyValue), { maxLength: 4, selector: ([key]) => key }),
      fc.array(block, { maxLength: depth > 0 ? 2 : 0 })
    )
    .map(([attributes, blocks]) => {
      const value: Record<string, unknown> = Object.fromEntries(attributes.map(([key, item]) => [key, item.value]))
      const lines = attributes.map(([key, item]) => `${key} = ${item.text}`)
      for (const [type, twoLabels, inner] of blocks) {
        const labels = twoLabels.slice(0, blockTypes[type])
        lines.push(`${type} ${labels.map(quoted).join(' ')} {\n${inner.text}\n}`)
        addBlock(value, [type, ...labels], inner.value)
      }
      return { text: lines.join('\n'), value }
    })
}

/** As HCL's JSON form nests blocks: type, then each label, then a list of bodies. */
function addBlock(value: Record<string, unknown>, path: string[], inner: unknown): void {
  let container = value
  for (const key of path.slice(0, -1)) container = (container[key] ??= {}) as Record<string, unknown>
  const last = path.at(-1) as string
  container[last] = [...((container[last] as unknown[] | undefined) ?? []), inner]
}

const hclFile = bodyOf(2).map(({ text, value }) => ({ text: `${text}\n`, literal: value }))
