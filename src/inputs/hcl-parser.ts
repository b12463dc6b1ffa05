// The HCL parser: tree-sitter's HCL grammar, compiled to WebAssembly, in a module of its own:
// it loads only for HCL2 templates, so runs with JSON templates never pay for it. Its syntax
// tree is turned into the shape the rest of the action reads (HclBody), the shape of HCL's JSON
// syntax: blocks by type, then label, each a list of bodies; literal values as JSON values,
// strings as templates (a literal `${` as `$${`), any other expression as `${source}`.
import { relative, resolve } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { Language, Parser, type Node } from 'web-tree-sitter'
import type { HclBody, HclFileRead } from './hcl.js'
import { hclWasm } from './hcl-wasm.js'

let started: Promise<Parser> | undefined
/**
 * A text being read: as written, and as parsed, with `.0` put in at `fractions` (offsets of the
 * text as written, in order: see exponentsWithoutFraction).
 */
interface Reading {
  written: string
  parsed: string
  fractions: number[]
}
const nothingRead: Reading = { written: '', parsed: '', fractions: [] }
/** The text of the tree being read. */
let reading = nothingRead

/**
 * V8 compiles WebAssembly with its baseline compiler, then recompiles each function that has run
 * for this many bytes of code with its optimizing one, on other threads. Parsing one small
 * template crosses that for the parser's three largest functions (the lexer among them): ~100 ms
 * of CPU taken from Packer, to save a few ms of parsing. V8 reads the budget as it instantiates
 * a module, and the parser's modules are the only WebAssembly the action runs; with it, their
 * baseline code serves the whole run. Templates hundreds of KB long parse as fast either way.
 */
const WASM_TIERING_BUDGET = 2 ** 31 - 1

/** The parser, started once: its two modules unpacked and compiled, ~25 ms here. */
function parser(): Promise<Parser> {
  started ??= (async () => {
    const { runtime, grammar } = await hclWasm()
    setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`)
    await Parser.init({ wasmBinary: runtime })
    const parser = new Parser()
    parser.setLanguage(await Language.load(grammar))
    return parser
  })()
  return started
}

/** Reads one tree with `read`, and frees it: trees live in the WebAssembly's memory. */
async function withTree<T>(fileName: string, text: string, read: (root: Node) => T): Promise<T> {
  const reader = await parser()
  let attempt = withFractions(text, [])
  let tree = reader.parse(text)
  // Each parse can read numbers that the one before read as something else.
  while (tree) {
    const more = exponentsWithoutFraction(tree.rootNode, attempt).filter((at) => !attempt.fractions.includes(at))
    if (more.length === 0) break
    attempt = withFractions(text, [...attempt.fractions, ...more].sort((a, b) => a - b))
    tree.delete()
    tree = reader.parse(attempt.parsed)
  }
  if (!tree) throw new Error(`${fileName}: the HCL parser gave no syntax tree`)
  try {
    const problem = firstProblem(tree.rootNode)
    if (problem) {
      const at = writtenOffset(problem.startIndex, attempt)
      // Where, and what kind of node: never the text there, which may be a secret.
      const what = problem.isMissing ? `missing ${problem.type}` : 'unexpected text'
      const { line, column } = positionAt(text, at)
      throw new HclSyntaxError(fileName, line, column, what, unclosedBy(problem, tree.rootNode, attempt))
    }
    reading = attempt
    return read(tree.rootNode)
  } finally {
    reading = nothingRead
    tree.delete()
  }
}

/**
 * tree-sitter's HCL grammar reads an exponent only after a fraction: `1.5e3` and `1.0e3`, not
 * `1e3`, which HCL reads as the same number as `1.0e3`. It reads `1e3` as the number 1 and
 * then the name `e3`: a syntax error, or, before a line like `source "a" "b" {`, a block named
 * e3 in place of that one. So the text is parsed again with a fraction, `.0`, right before each
 * exponent that follows a number of digits only; what is read from that tree is the text as
 * written (text(), between()). These are the offsets of the text as written where one goes.
 */
function exponentsWithoutFraction(root: Node, attempt: Reading): number[] {
  const exponent = (at: number): boolean => /^[eE][-+]?[0-9]/.test(attempt.parsed.slice(at, at + 3))
  return root
    .descendantsOfType('numeric_lit')
    .filter((number) => /^[0-9]+$/.test(number.text) && exponent(number.endIndex))
    .map((number) => writtenOffset(number.endIndex, attempt))
}

/** `written`, to be parsed with `.0` at each of `fractions` (offsets of it, in order). */
function withFractions(written: string, fractions: number[]): Reading {
  let parsed = ''
  let at = 0
  for (const end of fractions) {
    parsed += `${written.slice(at, end)}.0`
    at = end
  }
  return { written, parsed: parsed + written.slice(at), fractions }
}

/** An offset of the text as parsed, in the text as written. */
function writtenOffset(index: number, { fractions } = reading): number {
  // The k-th fraction starts at fractions[k] + 2k in the text as parsed.
  return index - 2 * fractions.filter((at, k) => at + 2 * k < index).length
}

/** The line and column, in the text as written, of an offset of the text as parsed. */
function writtenPosition(source: string, index: number): { line: number; column: number } {
  return positionAt(source, writtenOffset(index))
}

/** The line and column of an offset of the text as written. */
function positionAt(source: string, at: number): { line: number; column: number } {
  const lineStart = source.lastIndexOf('\n', at - 1) + 1
  // A byte order mark (Notepad's; HCL reads past it) is no column an editor or an annotation shows.
  const mark = lineStart === 0 && at > 0 && source.startsWith('\uFEFF') ? 1 : 0
  return { line: source.slice(0, at).split('\n').length, column: at - lineStart + 1 - mark }
}

/** The text as written between two offsets of the text as parsed. */
function between(start: number, end: number): string {
  return reading.written.slice(writtenOffset(start), writtenOffset(end))
}

/** A node's text as written. */
function text(node: Node): string {
  return between(node.startIndex, node.endIndex)
}

/** Where a file is not valid HCL, as the parser reads it. */
export class HclSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    what: string,
    /** What the file opens and never closes, when that is what the parser found missing (unclosedBy). */
    readonly unclosed?: Unclosed
  ) {
    super(`${file}:${line}:${column}: not valid HCL: ${what}`)
  }
}

/** A block, `{`, `[`, `(` or heredoc that a file opens and never closes. */
export interface Unclosed {
  /** What is open. */
  opener: 'block' | 'object' | 'tuple' | 'call' | 'heredoc'
  /** What would close it: `}`, `]`, `)`, or the heredoc's marker (`EOT`). */
  closer: string
  /** Where it opens, as written: a block's first line, else the `{`, `[`, `(` or `<<EOT`. */
  line: number
  column: number
}

/**
 * The opener that `missing`, the first problem of a tree, would have closed: a block's, an
 * object's or a tuple's closing brace, a call's `)`, a heredoc's marker. tree-sitter puts one in
 * where the text ends (or, for a `[` or `(`, where what follows cannot be in it), as HCL's own
 * parser stops there. Undefined for any other problem, or when the tree skipped text (an ERROR
 * node anywhere): its guess at what was meant is no longer one to point a user at.
 */
function unclosedBy(missing: Node, root: Node, attempt: Reading): Unclosed | undefined {
  if (!missing.isMissing || hasErrorNode(root)) return undefined
  const parent = missing.parent
  const owner = parent?.parent
  const at = (node: Node): { line: number; column: number } => positionAt(attempt.written, writtenOffset(node.startIndex, attempt))
  const first = (node: Node, type: string): Node | undefined => node.children.find((child) => child.type === type)
  if (missing.type === '}' && parent?.type === 'block_end' && owner?.type === 'block') return { opener: 'block', closer: '}', ...at(owner) }
  if (missing.type === '}' && parent?.type === 'object_end' && owner?.type === 'object') {
    const start = first(owner, 'object_start')
    return start && { opener: 'object', closer: '}', ...at(start) }
  }
  if (missing.type === ']' && parent?.type === 'tuple_end' && owner?.type === 'tuple') {
    const start = first(owner, 'tuple_start')
    return start && { opener: 'tuple', closer: ']', ...at(start) }
  }
  if (missing.type === ')' && parent?.type === 'function_call') {
    const start = first(parent, '(')
    return start && { opener: 'call', closer: ')', ...at(start) }
  }
  if (missing.type === 'heredoc_identifier' && parent?.type === 'heredoc_template') {
    const start = first(parent, 'heredoc_start')
    const marker = parent.children.find((child) => child.type === 'heredoc_identifier' && !child.isMissing)
    return start && marker && { opener: 'heredoc', closer: marker.text, ...at(start) }
  }
  return undefined
}

function hasErrorNode(node: Node): boolean {
  return node.isError || (node.hasError && node.children.some(hasErrorNode))
}

function firstProblem(node: Node): Node | undefined {
  if (node.isError || node.isMissing) return node
  if (!node.hasError) return undefined
  for (const child of node.children) {
    const found = firstProblem(child)
    if (found) return found
  }
  return node
}

/** One HCL file (`.pkr.hcl`, `.pkrvars.hcl`), as HclBody. Throws where it is not valid HCL. */
export function parse(fileName: string, text: string): Promise<HclBody> {
  return withTree(fileName, text, bodyOf)
}

function bodyOf(root: Node): HclBody {
  const top = root.namedChildren.find((child) => child.type === 'body' || child.type === 'object')
  if (!top) return {}
  if (top.type === 'object') return collection(top) as HclBody
  return body(top)
}

/**
 * Where a file's settings are written, by their path through its body (settingPosition): what
 * the job's checks place their problems with, found without parsing the file again.
 */
export type SettingPlaces = (path: Array<string | number>) => { line: number; column: number } | undefined

/**
 * One HCL file as parse() gives it, with where each of its settings is written and the sources its
 * build blocks use (sourceUses), from one parse.
 */
export function parseWithPlaces(fileName: string, text: string): Promise<{ body: HclBody; places: SettingPlaces; sourceUses: SourceUse[] }> {
  return withTree(fileName, text, (root) => ({ body: bodyOf(root), places: settingPlaces(root, text), sourceUses: sourceUsesIn(root, text) }))
}

/**
 * A `.pkr.hcl` file (`file`, absolute) as the job's checks read it (HclFileRead), from one parse;
 * its errors name it relative to the working directory, as Packer's do.
 */
export async function readHclText(file: string, text: string): Promise<HclFileRead> {
  const { body, places, sourceUses } = await parseWithPlaces(relative(process.cwd(), file) || file, text)
  return { file, body, place: async (at) => places(at) ?? {}, sourceUses }
}

/**
 * Where each of the attributes `names` (or blocks, such as `source_ami_filter`) of the block
 * that begins on line `blockLine` (1-based), or of the file itself with 0 (a variables file),
 * is: its line and column, as written; undefined for one that the block does not have. All
 * undefined when there is no such block, or the file is not valid HCL.
 */
export function attributePositions(
  fileName: string,
  source: string,
  blockLine: number,
  names: Array<string | undefined>
): Promise<Array<{ line: number; column: number } | undefined>> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const body = blockLine === 0 ? top : blockAt(top, blockLine)?.namedChildren.find((child) => child.type === 'body')
    // A setting may be written as an attribute or, where it is a block of its own, as one.
    const attributes = body?.namedChildren.filter((child) => child.type === 'attribute' || child.type === 'block') ?? []
    return names.map((name) => {
      const attribute = attributes.find((child) => text(child.namedChildren[0] as Node) === name)
      if (!attribute) return undefined
      return writtenPosition(source, attribute.startIndex)
    })
  }).catch(() => names.map(() => undefined))
}

/**
 * The block that begins on line `line` (1-based): a top-level one, else the one block within
 * another that does (a build's `provisioner "shell" {`); none where two do.
 */
function blockAt(top: Node | undefined, line: number): Node | undefined {
  const atLine = (child: Node): boolean => child.type === 'block' && child.startPosition.row === line - 1
  const found = top?.namedChildren.find(atLine)
  if (found) return found
  const inner = (top?.descendantsOfType('block') ?? []).filter((child): child is Node => child !== null && atLine(child))
  return inner.length === 1 ? inner[0] : undefined
}

/**
 * Where, in the block that begins on line `blockLine`, each of `values` is written as a string
 * of its own (`script = "b.sh"`, an entry of `scripts = ["a.sh", "b.sh"]`): the first such
 * string's line and column; undefined for a value not written so. With `known` (`path.root` and
 * `path.cwd` as Packer sets them: hcl.ts hclPaths; the input variables' and locals' values in
 * this run), a string made of them and text is one too (`"${path.root}/scripts/b.sh"`,
 * `"${var.scripts}/b.sh"`, `"${local.dir}/b.sh"`), and so is a variable or local written alone
 * (`script = var.setup`; `scripts = local.steps`, for any entry of its list), where it names the
 * same path as the value: Packer quotes it filled in (`./scripts/b.sh`).
 */
export function valuePositions(
  fileName: string,
  source: string,
  blockLine: number,
  values: string[],
  known?: KnownValues
): Promise<Array<{ line: number; column: number } | undefined>> {
  return withTree(fileName, source, (root) => {
    const block = blockAt(root.namedChildren.find((child) => child.type === 'body'), blockLine)
    // A string that interpolates is a quoted template, not a string literal; a variable written
    // alone is an expression of its own, the value of a setting or an entry of its list.
    const written = (block?.descendantsOfType(['string_lit', 'quoted_template', 'expression']) ?? []).flatMap((node) => {
      const read = !node ? undefined : node.type === 'expression' ? referenceAlone(node, known) : stringWithKnown(node, known)
      return read === undefined ? [] : [{ node: node as Node, ...read }]
    })
    return values.map((value) => {
      const names = (text: string, filledIn: boolean): boolean =>
        filledIn && known ? resolve(known.cwd, text) === resolve(known.cwd, value) : text === value
      const found = written.find((each) => ('texts' in each ? each.texts.some((text) => names(text, true)) : names(each.text, each.filledIn)))
      return found && writtenPosition(source, found.node.startIndex)
    })
  }).catch(() => values.map(() => undefined))
}

/**
 * What valuePositions fills in: `path.root` and `path.cwd` (absolute), and the values of input
 * variables and locals that are text or a list of text, by name.
 */
export interface KnownValues {
  root: string
  cwd: string
  variables?: ReadonlyMap<string, string | string[]>
  locals?: ReadonlyMap<string, string | string[]>
}

/** The value `known` has for `var.NAME` or `local.NAME`; undefined for any other reference. */
function knownReference(reference: Reference, known: KnownValues): string | string[] | undefined {
  if ('var' in reference) return known.variables?.get(reference.var)
  if ('local' in reference) return known.locals?.get(reference.local)
  return undefined
}

/**
 * A setting's value, or an entry of its list, that is a variable or local written alone
 * (`var.setup`, `local.steps`): the texts `known` gives it (one, or its list's); undefined for
 * any other expression, one inside a string's interpolation included.
 */
function referenceAlone(node: Node, known: KnownValues | undefined): { texts: string[] } | undefined {
  if (known === undefined || (node.parent?.type !== 'attribute' && node.parent?.type !== 'tuple')) return undefined
  const [root, attribute] = node.namedChildren
  const name = attribute?.type === 'get_attr' ? attribute.namedChildren[0] : undefined
  if (node.childCount !== 2 || root?.type !== 'variable_expr' || name?.type !== 'identifier') return undefined
  const namespace = text(root)
  if (namespace !== 'var' && namespace !== 'local') return undefined
  const value = knownReference({ [namespace]: text(name) } as Reference, known)
  return value === undefined ? undefined : { texts: typeof value === 'string' ? [value] : value }
}

/**
 * A quoted string's text when it is literal, or made of literal text, `path.root`, `path.cwd`,
 * input variables and locals whose value is text (`filledIn`), filled in from `known`;
 * undefined for any other.
 */
function stringWithKnown(node: Node, known: KnownValues | undefined): { text: string; filledIn: boolean } | undefined {
  const inner = node.namedChildren.filter((child) => child.type !== 'quoted_template_start' && child.type !== 'quoted_template_end')
  if (inner.length === 1 && inner[0].type === 'template_literal') return { text: labelText(node), filledIn: false }
  if (known === undefined || !inner.some((child) => child.type === 'template_interpolation')) return undefined
  let text = ''
  for (const part of templateParts(node)) {
    if ('literal' in part) {
      text += part.literal
      continue
    }
    const read = interpolated(part.written)
    const reference = 'reference' in read ? read.reference : undefined
    const value =
      reference === undefined
        ? undefined
        : 'path' in reference
          ? reference.path === 'root' || reference.path === 'cwd'
            ? known[reference.path]
            : undefined
          : knownReference(reference, known)
    if (typeof value !== 'string') return undefined
    text += value
  }
  return { text, filledIn: true }
}

/** An entry of an object local, as a traversal reads it: `local.scripts.linux`, `local.scripts["linux"]`. */
export interface LocalEntry {
  local: string
  key: string
}

/**
 * The entries of object locals that the block beginning on line `blockLine` reads anywhere in
 * its settings (`local.scripts.linux`, in a branch of a conditional or an argument of a call
 * too), each once, in the order written; none when there is no such block, or the file is not
 * valid HCL.
 */
export function localEntriesRead(fileName: string, source: string, blockLine: number): Promise<LocalEntry[]> {
  return withTree(fileName, source, (root) => {
    const block = blockAt(root.namedChildren.find((child) => child.type === 'body'), blockLine)
    const found = new Map<string, LocalEntry>()
    for (const node of block?.descendantsOfType('expression') ?? []) {
      const entry = node ? localEntry(node) : undefined
      if (entry) found.set(JSON.stringify(entry), entry)
    }
    return [...found.values()]
  }).catch(() => [])
}

/** The entry of an object local a traversal begins with (`local.NAME.KEY`, `local.NAME["KEY"]`); undefined for any other expression. */
function localEntry(node: Node): LocalEntry | undefined {
  const [root, name, step] = node.namedChildren
  const local = name?.type === 'get_attr' ? name.namedChildren[0] : undefined
  if (root?.type !== 'variable_expr' || text(root) !== 'local' || local?.type !== 'identifier') return undefined
  if (step?.type === 'get_attr' && step.namedChildren[0]?.type === 'identifier') return { local: text(local), key: text(step.namedChildren[0]) }
  const index = step?.type === 'index' ? step.namedChildren[0] : undefined
  const expression = index?.type === 'new_index' ? index.namedChildren.find((child) => child.type === 'expression') : undefined
  const term = expression?.childCount === 1 ? expression.child(0) : null
  const key = term?.type === 'literal_value' ? term.child(0) : term?.type === 'template_expr' ? term.child(0) : null
  const read = key && (key.type === 'string_lit' || key.type === 'quoted_template') ? stringWithKnown(key, undefined) : undefined
  return read ? { local: text(local), key: read.text } : undefined
}

/**
 * Where, in the `locals` blocks of a file, the entry `key` of the object local `local` is written
 * (`scripts = { linux = "scripts/a.sh" }`) as a string that names `value`, filled in from
 * `known` as valuePositions reads one: the string's line and column; undefined when it is not
 * there so, or the file is not valid HCL.
 */
export function localEntryPosition(
  fileName: string,
  source: string,
  { local, key }: LocalEntry,
  value: string,
  known: KnownValues
): Promise<{ line: number; column: number } | undefined> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    for (const block of top?.namedChildren ?? []) {
      if (block.type !== 'block' || text(block.namedChildren[0] as Node) !== 'locals') continue
      const body = block.namedChildren.find((child) => child.type === 'body')
      const attribute = body?.namedChildren.find((child) => child.type === 'attribute' && text(child.namedChildren[0] as Node) === local)
      const entry = attribute?.namedChildren[1] ? innerValue(attribute.namedChildren[1], key) : undefined
      const term = entry?.childCount === 1 ? entry.child(0) : null
      const string = term?.type === 'literal_value' || term?.type === 'template_expr' ? term.child(0) : null
      const read = string && (string.type === 'string_lit' || string.type === 'quoted_template') ? stringWithKnown(string, known) : undefined
      if (read && resolve(known.cwd, read.text) === resolve(known.cwd, value)) return writtenPosition(source, (string as Node).startIndex)
    }
    return undefined
  }).catch(() => undefined)
}

/** Where the top-level block `type "label" …` of an HCL file begins; undefined when it has none. */
export function blockPosition(fileName: string, source: string, type: string, labels: string[]): Promise<{ line: number; column: number } | undefined> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const wanted = JSON.stringify([type, ...labels])
    const found = top?.namedChildren.find((child) => child.type === 'block' && JSON.stringify(blockNames(child)) === wanted)
    return found && writtenPosition(source, found.startIndex)
  }).catch(() => undefined)
}

/** Where each top-level block of `type` (with no labels: `build {`) of an HCL file begins, in order. */
export function blockPositions(fileName: string, source: string, type: string): Promise<Array<{ line: number; column: number }>> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const wanted = JSON.stringify([type])
    const found = top?.namedChildren.filter((child): child is Node => child?.type === 'block' && JSON.stringify(blockNames(child)) === wanted) ?? []
    return found.map((block) => writtenPosition(source, block.startIndex))
  }).catch(() => [])
}

/** The type and labels of the top-level block that begins on line `line` (1-based); undefined when none does. */
export function blockNamesAt(fileName: string, source: string, line: number): Promise<string[] | undefined> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const found = top?.namedChildren.find((child) => child.type === 'block' && child.startPosition.row === line - 1)
    return found && blockNames(found)
  }).catch(() => undefined)
}

/** A block device mapping of an Amazon source block: which kind, its device_name, and where it is written. */
export interface DeviceMapping {
  kind: 'ami_block_device_mappings' | 'launch_block_device_mappings'
  /** As written when a literal string; null when not set; undefined when only Packer knows it. */
  device: string | null | undefined
  line: number
  column: number
}

/**
 * The block device mappings of the block that begins on line `blockLine`, in the order Packer's
 * Amazon builders check them (1.6.6, and the plugin since): its ami_block_device_mappings, then
 * its launch_block_device_mappings, each in the order written. Undefined when there is no such
 * block, one is written as an attribute (a list of objects), or the file is not valid HCL.
 */
export function deviceMappings(fileName: string, source: string, blockLine: number): Promise<DeviceMapping[] | undefined> {
  return withTree(fileName, source, (root) => {
    const settings = blockAt(root.namedChildren.find((child) => child.type === 'body'), blockLine)?.namedChildren.find((child) => child.type === 'body')
    if (!settings) return undefined
    const kinds: Array<DeviceMapping['kind']> = ['ami_block_device_mappings', 'launch_block_device_mappings']
    const named = (child: Node): string => text(child.namedChildren[0] as Node)
    if (settings.namedChildren.some((child) => child.type === 'attribute' && (kinds as string[]).includes(named(child)))) return undefined
    return kinds.flatMap((kind) =>
      settings.namedChildren
        .filter((child) => child.type === 'block' && JSON.stringify(blockNames(child)) === JSON.stringify([kind]))
        .map((mapping): DeviceMapping => {
          const inner = mapping.namedChildren.find((child) => child.type === 'body')
          const written = inner ? body(inner).device_name : undefined
          // A string template that reads anything keeps its `${`; a literal one has none.
          const device = written === undefined ? null : typeof written === 'string' && !written.includes('${') ? written : undefined
          return { kind, device, ...writtenPosition(source, mapping.startIndex) }
        })
    )
  }).catch(() => undefined)
}

/** A declaration of an input variable: a `variable "x" {…}` block, or an attribute of a `variables {…}` block. */
export interface VariableDeclaration {
  block: boolean
  line: number
  column: number
}

/**
 * The declarations of the input variable `name` in an HCL file, in the order Packer decodes
 * them (its top-level blocks in order); undefined when the file is not valid HCL.
 */
export function variableDeclarations(fileName: string, source: string, name: string): Promise<VariableDeclaration[] | undefined> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    return (top?.namedChildren ?? []).flatMap((child): VariableDeclaration[] => {
      if (child.type !== 'block') return []
      const [type, ...labels] = blockNames(child)
      if (type === 'variable' && labels.length === 1 && labels[0] === name) return [{ block: true, ...writtenPosition(source, child.startIndex) }]
      if (type !== 'variables' || labels.length > 0) return []
      // A name set twice in one block is hcl's own error (Duplicate argument), which names its place.
      const attribute = child.namedChildren
        .find((inner) => inner.type === 'body')
        ?.namedChildren.find((inner) => inner.type === 'attribute' && text(inner.namedChildren[0] as Node) === name)
      return attribute ? [{ block: false, ...writtenPosition(source, attribute.startIndex) }] : []
    })
  }).catch(() => undefined)
}

/**
 * Where an HCL file writes the values of the input variables `names`, as offsets (start, end) of
 * the text as written, in file order: in a variables file (`variablesFile`), the expression set
 * to each of those names; in a template file, the `default` of their `variable` blocks, their
 * attributes in `variables` blocks, and the `expression` of each `local` block marked
 * `sensitive = true`. Each whole expression, however it is written: quoted with escapes, a
 * heredoc, a template that interpolates literals, a list or an object. Throws where the file is
 * not valid HCL.
 */
export function variableValueSpans(fileName: string, source: string, names: ReadonlySet<string>, variablesFile: boolean): Promise<Array<[number, number]>> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const attributes = (body: Node | null | undefined): Node[] => (body?.namedChildren ?? []).filter((child) => child.type === 'attribute')
    const named = (attribute: Node): string => text(attribute.namedChildren[0] as Node)
    const valuesOf = (found: Node[]): Node[] => found.flatMap((attribute) => attribute.namedChildren.find((child) => child.type === 'expression') ?? [])
    const values: Node[] = []
    if (variablesFile) values.push(...valuesOf(attributes(top).filter((attribute) => names.has(named(attribute)))))
    for (const block of variablesFile ? [] : (top?.namedChildren ?? []).filter((child) => child.type === 'block')) {
      const [type, ...labels] = blockNames(block)
      const settings = attributes(block.namedChildren.find((child) => child.type === 'body'))
      const setting = (name: string): Node[] => valuesOf(settings.filter((attribute) => named(attribute) === name))
      if (type === 'variable' && labels.length === 1 && names.has(labels[0])) values.push(...setting('default'))
      if (type === 'variables' && labels.length === 0) values.push(...valuesOf(settings.filter((attribute) => names.has(named(attribute)))))
      const sensitiveLocal = setting('sensitive').some((value) => ['true', '"true"'].includes(text(value)))
      if (type === 'local' && labels.length === 1 && sensitiveLocal) values.push(...setting('expression'))
    }
    return values
      .map((value): [number, number] => [writtenOffset(value.startIndex), writtenOffset(value.endIndex)])
      .sort(([a], [b]) => a - b)
  })
}

/** A build's `source "amazon-ebs.web" { … }` block, which overrides settings of that source for the build. */
export interface SourceOverride {
  /** The source it names, as written (`amazon-ebs.web`). */
  used: string
  /** Where each of the settings asked for is set in it; undefined for one it does not set. */
  places: Array<{ line: number; column: number } | undefined>
}

/**
 * The `source "…" { … }` blocks of each top-level `build` block of an HCL file, in order, with
 * where each of the settings `names` is set in them. None when the file is not valid HCL.
 */
export function sourceOverrides(fileName: string, source: string, names: Array<string | undefined>): Promise<SourceOverride[]> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const builds = top?.namedChildren.filter((child) => child.type === 'block' && blockNames(child)[0] === 'build') ?? []
    const blocks = builds.flatMap((build) =>
      (build.namedChildren.find((child) => child.type === 'body')?.namedChildren ?? []).filter(
        (child) => child.type === 'block' && blockNames(child)[0] === 'source' && blockNames(child).length === 2
      )
    )
    return blocks.map((block) => {
      const settings = block.namedChildren.find((child) => child.type === 'body')?.namedChildren.filter((child) => child.type === 'attribute' || child.type === 'block') ?? []
      const places = names.map((name) => {
        const setting = settings.find((child) => text(child.namedChildren[0] as Node) === name)
        return setting && writtenPosition(source, setting.startIndex)
      })
      return { used: blockNames(block)[1], places }
    })
  }).catch(() => [])
}

/** A setting whose value reads `source.name` or `source.type`, and where it is set. */
export interface SourceReading {
  setting: string
  /** What it reads first: `source.name` or `source.type`. */
  reads: string
  line: number
  column: number
}

/**
 * The settings that read `source.name` or `source.type` (in any interpolation, object or nested
 * block) in the top-level `source` block that begins on line `blockLine` of an HCL file, and in
 * the build blocks' `source "…" { … }` blocks, each with the source it names (`amazon-ebs.web`).
 * None when the file is not valid HCL.
 */
export function sourceReadings(fileName: string, source: string, blockLine: number): Promise<Array<SourceReading & { used?: string }>> {
  return withTree(fileName, source, (root) => {
    const top = root.namedChildren.find((child) => child.type === 'body')
    const blocks = top?.namedChildren.filter((child) => child.type === 'block') ?? []
    const own = blocks.find((block) => block.startPosition.row === blockLine - 1 && blockNames(block)[0] === 'source')
    const overrides = blocks
      .filter((block) => blockNames(block)[0] === 'build')
      .flatMap((build) => build.namedChildren.find((child) => child.type === 'body')?.namedChildren ?? [])
      .filter((child) => child.type === 'block' && blockNames(child)[0] === 'source' && blockNames(child).length === 2)
    return [
      ...(own ? readingsOfSource(own, source) : []),
      ...overrides.flatMap((block) => readingsOfSource(block, source).map((reading) => ({ ...reading, used: blockNames(block)[1] })))
    ]
  }).catch(() => [])
}

/** The settings of a block that read `source.name` or `source.type`, each once, in order. */
function readingsOfSource(block: Node, source: string): SourceReading[] {
  const found = new Map<Node['id'], SourceReading>()
  for (const variable of block.descendantsOfType('variable_expr')) {
    const attribute = variable?.nextNamedSibling
    const name = attribute?.type === 'get_attr' ? attribute.namedChildren[0] : undefined
    if (!variable || text(variable) !== 'source' || name?.type !== 'identifier' || !['name', 'type'].includes(text(name))) continue
    if (boundByFor(variable, 'source')) continue
    let setting = variable.parent
    while (setting && setting.type !== 'attribute') setting = setting.parent
    if (!setting || found.has(setting.id)) continue
    found.set(setting.id, { setting: text(setting.namedChildren[0] as Node), reads: `source.${text(name)}`, ...writtenPosition(source, setting.startIndex) })
  }
  return [...found.values()]
}

/**
 * Whether `variable` names a `for` expression's own variable (`for source, v in var.m : …`),
 * which HCL reads before any object of that name Packer gives: in the expression's body and its
 * `if`, not in the collection after `in`, which is read outside it.
 */
function boundByFor(variable: Node, name: string): boolean {
  for (let inner: Node = variable, outer = variable.parent; outer; inner = outer, outer = outer.parent) {
    if (outer.type !== 'for_object_expr' && outer.type !== 'for_tuple_expr') continue
    const intro = outer.namedChildren.find((child) => child.type === 'for_intro')
    if (!intro || inner.id === intro.id) continue
    if (intro.namedChildren.some((child) => child.type === 'identifier' && text(child) === name)) return true
  }
  return false
}

/** A source a `build` block uses, as written there (`source.amazon-ebs.web`), and where. */
export interface SourceUse {
  /** The line the build block begins on. */
  build: number
  used: string
  /** Whether it is an entry of the `sources` list (else a `source` block's label). */
  listed: boolean
  line: number
  column: number
}

/**
 * The sources each top-level `build` block of an HCL file uses, in order: the entries of its
 * `sources` list and the labels of its `source "amazon-ebs.web" { … }` blocks, where each is
 * written. None when the file is not valid HCL.
 */
export function sourceUses(fileName: string, source: string): Promise<SourceUse[]> {
  return withTree(fileName, source, (root) => sourceUsesIn(root, source)).catch(() => [])
}

/** The sources each top-level `build` block of a parsed file uses (sourceUses). */
function sourceUsesIn(root: Node, source: string): SourceUse[] {
  const top = root.namedChildren.find((child) => child.type === 'body')
  const builds = top?.namedChildren.filter((child) => child.type === 'block' && blockNames(child)[0] === 'build') ?? []
  return builds.flatMap((build) => {
    const inner = build.namedChildren.find((child) => child.type === 'body')?.namedChildren ?? []
    const written = inner.flatMap((child): Array<{ node: Node; listed: boolean }> => {
      if (child.type === 'attribute' && text(child.namedChildren[0] as Node) === 'sources') {
        return (child.descendantsOfType('string_lit') as Node[]).map((node) => ({ node, listed: true }))
      }
      if (child.type === 'block' && blockNames(child)[0] === 'source') {
        return child.namedChildren.filter((label) => label.type === 'string_lit').slice(0, 1).map((node) => ({ node, listed: false }))
      }
      return []
    })
    return written.map(({ node, listed }) => ({ build: build.startPosition.row + 1, used: labelText(node), listed, ...writtenPosition(source, node.startIndex) }))
  })
}

/**
 * Where the setting at `path` is, `path` leading to it through the body as parse() gives it
 * (`['build', 0, 'provisioner', 'shell', 1, 'scripts', 0]`): the line and column of the first
 * attribute on the way, as written, or of the block the path ends on; undefined when there is
 * none, or the file is not valid HCL.
 */
export function settingPosition(
  fileName: string,
  source: string,
  path: Array<string | number>
): Promise<{ line: number; column: number } | undefined> {
  return withTree(fileName, source, (root) => settingPlaces(root, source)(path)).catch(() => undefined)
}

/**
 * Where the key `key` of the object that the attribute at `path` holds is written (`filters = {
 * isDefault = "true" }`, `"tag:Name" = …`), `path` as settingPosition takes it; undefined when
 * the attribute is not there, does not hold an object written as such, or the object has no such key.
 */
export function objectKeyPosition(
  fileName: string,
  source: string,
  path: Array<string | number>,
  key: string
): Promise<{ line: number; column: number } | undefined> {
  return withTree(fileName, source, (root) => {
    let body = root.namedChildren.find((child) => child.type === 'body')
    let at = 0
    while (body && at < path.length - 1) {
      const inner = innerBlockBody(body, path, at)
      if (!inner) return undefined
      ;({ body, at } = inner)
    }
    const name = path[path.length - 1]
    const attribute = body?.namedChildren.find((child) => child.type === 'attribute' && text(child.namedChildren[0] as Node) === name)
    const term = attribute?.namedChildren[1]?.child(0)
    const object = term?.type === 'collection_value' ? term.child(0) : undefined
    if (at !== path.length - 1 || object?.type !== 'object') return undefined
    const element = object.namedChildren.find((child) => {
      const written = child.type === 'object_elem' ? child.childForFieldName('key') : null
      return written !== null && objectKey(written) === key
    })
    return element ? writtenPosition(source, element.startIndex) : undefined
  }).catch(() => undefined)
}

/**
 * Where the value at `path` is written, `path` leading through the blocks to an attribute, then
 * through its value's lists (an index) and maps (a key) (`['source', 'amazon-ebs', 'demo', 0,
 * 'tags', 'Name']`): the line and column where that value begins (a string's opening quote);
 * undefined when the path does not end on a value written as such, or the file is not valid HCL.
 */
export function valuePosition(fileName: string, source: string, path: Array<string | number>): Promise<{ line: number; column: number } | undefined> {
  return withTree(fileName, source, (root) => {
    let body = root.namedChildren.find((child) => child.type === 'body')
    let at = 0
    while (body && at < path.length) {
      const name = path[at]
      const attribute = body.namedChildren.find((child) => child.type === 'attribute' && text(child.namedChildren[0] as Node) === name)
      if (attribute) {
        let value: Node | null | undefined = attribute.namedChildren[1]
        for (const step of path.slice(at + 1)) value = value && innerValue(value, step)
        return value ? writtenPosition(source, value.startIndex) : undefined
      }
      const inner = innerBlockBody(body, path, at)
      if (!inner) return undefined
      ;({ body, at } = inner)
    }
    return undefined
  }).catch(() => undefined)
}

/** The entry `step` of a list (an index) or of a map (a key) that `expression` writes as such. */
function innerValue(expression: Node, step: string | number): Node | undefined {
  const term = expression.childCount === 1 ? expression.child(0) : null
  const collection = term?.type === 'collection_value' ? term.child(0) : null
  if (typeof step === 'number') return collection?.type === 'tuple' ? collection.namedChildren.filter((entry) => entry.type === 'expression')[step] : undefined
  if (collection?.type !== 'object') return undefined
  const element = collection.namedChildren.find((child) => {
    const key = child.type === 'object_elem' ? child.childForFieldName('key') : null
    return key !== null && objectKey(key) === step
  })
  return element?.childForFieldName('val') ?? undefined
}

/**
 * Where the settings of a file's tree are (settingPosition), read in one walk of its blocks: the
 * offset, in the text as written, of each attribute by its block's path and its name (the first
 * of a name, as parse() keeps), of each entry of an attribute's list written as such (`scripts =
 * ["a.sh", "b.sh"]`), as Packer places its own errors about one, and of each block with a body by
 * its path (`['build', 0, 'provisioner', 'shell', 1]`: its type and labels, then which of the
 * blocks so named it is). Lines and columns are worked out only for the settings asked for.
 */
function settingPlaces(root: Node, source: string): SettingPlaces {
  const attributes = new Map<string, number>()
  const entries = new Map<string, number[]>()
  const blocks = new Map<string, number>()
  const key = (path: Array<string | number>): string => JSON.stringify(path)
  const visit = (body: Node, path: Array<string | number>): void => {
    const counts = new Map<string, number>()
    for (const child of body.namedChildren) {
      if (child.type === 'attribute') {
        const at = key([...path, text(child.namedChildren[0] as Node)])
        if (attributes.has(at)) continue
        attributes.set(at, writtenOffset(child.startIndex))
        const term = child.namedChildren[1]?.childCount === 1 ? child.namedChildren[1].child(0) : null
        const list = term?.type === 'collection_value' ? term.child(0) : null
        // The entries as parse() gives them (collection), in the same order.
        if (list?.type === 'tuple') entries.set(at, list.namedChildren.filter((entry) => entry.type === 'expression').map((entry) => writtenOffset(entry.startIndex)))
      } else if (child.type === 'block') {
        const names = blockNames(child)
        const index = counts.get(key(names)) ?? 0
        counts.set(key(names), index + 1)
        const inner = child.namedChildren.find((node) => node.type === 'body')
        if (!inner) continue
        blocks.set(key([...path, ...names, index]), writtenOffset(child.startIndex))
        visit(inner, [...path, ...names, index])
      }
    }
  }
  const top = root.namedChildren.find((child) => child.type === 'body')
  if (top?.parent) blocks.set(key([]), writtenOffset(top.parent.startIndex))
  if (top) visit(top, [])
  return (path) => {
    let at = 0
    while (at < path.length) {
      // The first attribute on the way is where the setting is written.
      const attribute = typeof path[at] === 'string' ? attributes.get(key([...path.slice(0, at + 1)])) : undefined
      const entry = typeof path[at + 1] === 'number' ? entries.get(key(path.slice(0, at + 1)))?.[path[at + 1] as number] : undefined
      if (attribute !== undefined) return positionAt(source, entry ?? attribute)
      // Else the block that the path names next: its type and labels, then which of those blocks.
      const index = path.findIndex((step, position) => position > at && typeof step === 'number')
      if (index < 0 || !blocks.has(key(path.slice(0, index + 1)))) return undefined
      at = index + 1
    }
    // A path that names a block ends on it: where the block is written.
    const block = blocks.get(key(path))
    return block === undefined ? undefined : positionAt(source, block)
  }
}

/**
 * The body of the block that `path` names from `at` on, in `body`: its type and labels, then
 * which of the blocks so named (`'provisioner', 'shell', 1`); and where the path goes on.
 */
function innerBlockBody(body: Node, path: Array<string | number>, at: number): { body: Node | undefined; at: number } | undefined {
  const index = path.findIndex((step, position) => position > at && typeof step === 'number')
  if (index < 0) return undefined
  const names = JSON.stringify(path.slice(at, index))
  const blocks = body.namedChildren.filter((child) => child.type === 'block' && JSON.stringify(blockNames(child)) === names)
  return { body: blocks[path[index] as number]?.namedChildren.find((child) => child.type === 'body'), at: index + 1 }
}

/**
 * The first labels of the `type` blocks in the block at `path` (`['build', 0]`, as parse() gives
 * it), in the order they are written: parse() keeps the order of one label's blocks, not that
 * between blocks of two labels (`provisioner "shell"` and `provisioner "shell-local"`). Undefined
 * when there is no such block, or the file is not valid HCL.
 */
export function blockLabelOrder(fileName: string, source: string, path: Array<string | number>, type: string): Promise<string[] | undefined> {
  return withTree(fileName, source, (root) => {
    let body = root.namedChildren.find((child) => child.type === 'body')
    let at = 0
    while (body && at < path.length) {
      const next = innerBlockBody(body, path, at)
      if (!next) return undefined
      ;({ body, at } = next)
    }
    if (!body) return undefined
    return body.namedChildren.flatMap((child) => {
      const [blockType, label] = child.type === 'block' ? blockNames(child) : []
      return blockType === type && label !== undefined ? [label] : []
    })
  }).catch(() => undefined)
}

/** A block's type and labels: `variable "x" {…}` is ['variable', 'x']. */
function blockNames(node: Node): string[] {
  return node.namedChildren
    .filter((child) => child.type === 'identifier' || child.type === 'string_lit')
    .map((child) => (child.type === 'identifier' ? text(child) : labelText(child)))
}

function body(node: Node): HclBody {
  const out: HclBody = {}
  for (const child of node.namedChildren) {
    if (child.type === 'attribute') {
      const [name, expression] = [child.namedChildren[0], child.namedChildren.find((n) => n.type === 'expression')]
      if (name && expression) out[text(name)] = value(expression)
    } else if (child.type === 'block') {
      block(child, out)
    }
  }
  return out
}

/** `type "label" "label" { … }`: out[type][label][label] gets one more body. */
function block(node: Node, out: HclBody): void {
  const [type, ...labels] = blockNames(node)
  const inner = node.namedChildren.find((child) => child.type === 'body')
  let container = out
  let key = type ?? ''
  for (const label of labels) {
    const next = container[key]
    container = (container[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as HclBody
    key = label
  }
  const list = container[key]
  container[key] = [...(Array.isArray(list) ? list : []), inner ? body(inner) : {}]
}

/** An `expression` node: its value where it is literal, else `${source}`. */
function value(node: Node): unknown {
  const term = node.childCount === 1 ? node.child(0) : null
  switch (term?.type) {
    case 'literal_value':
      return literal(term)
    case 'template_expr':
      return term.child(0) ? template(term.child(0) as Node) : ''
    case 'collection_value':
      return term.child(0) ? collection(term.child(0) as Node) : undefined
    case 'operation':
      return negated(term) ?? `\${${text(node)}}`
    default:
      return `\${${text(node)}}`
  }
}

/**
 * `-1` and `!true`: a number and a bool, as literal as `1` and `true`. HCL's numbers have no
 * negative zero: `-0` is 0, as HashiCorp's parser gives it.
 */
function negated(node: Node): number | boolean | undefined {
  const operation = node.child(0)
  const [operator, operand] = operation?.type === 'unary_operation' ? operation.children : []
  const inner = operand?.type === 'literal_value' ? literal(operand) : undefined
  if (operator?.type === '-' && typeof inner === 'number') return inner === 0 ? 0 : -inner
  if (operator?.type === '!' && typeof inner === 'boolean') return !inner
  return undefined
}

function literal(node: Node): unknown {
  const inner = node.child(0)
  switch (inner?.type) {
    case 'numeric_lit':
      return Number(text(inner))
    case 'bool_lit':
      return text(inner) === 'true'
    case 'null_lit':
      return null
    case 'string_lit':
      return template(inner)
    default:
      return `\${${text(node)}}`
  }
}

function collection(node: Node): unknown {
  if (node.type === 'tuple') return node.namedChildren.filter((child) => child.type === 'expression').map(value)
  const out: Record<string, unknown> = {}
  for (const element of node.namedChildren) {
    if (element.type !== 'object_elem') continue
    const [key, val] = [element.childForFieldName('key'), element.childForFieldName('val')]
    if (key && val) out[objectKey(key)] = value(val)
  }
  return out
}

/** `name = …` and `name.more = …` are the name as written; `"name" = …` the string. */
function objectKey(node: Node): string {
  const traversal = node.namedChildren.every((child) => child.type === 'variable_expr' || child.type === 'get_attr')
  if (node.child(0)?.type === 'variable_expr' && traversal) return text(node)
  const key = value(node)
  return typeof key === 'string' ? key : String(key)
}

/** A part of a template: literal text as it reads, or an interpolation or directive as written. */
type Part = { literal: string } | { written: Node }

/**
 * A string literal, a quoted template or a heredoc as a string of HCL's JSON syntax, where
 * strings are templates too: its literal text with `${` and `%{` escaped, and each
 * interpolation or directive as written. literalText() reads it back.
 */
function template(node: Node): string {
  const literal = (text: string): string => text.replaceAll('${', () => '$${').replaceAll('%{', '%%{')
  return templateParts(node)
    .map((part) => ('literal' in part ? literal(part.literal) : written(part.written)))
    .join('')
}

/** A block label: a string literal, whose text is as it reads. */
function labelText(node: Node): string {
  return templateParts(node)
    .map((part) => ('literal' in part ? part.literal : text(part.written)))
    .join('')
}

/** The parts of a template, read from the source between its delimiters. */
function templateParts(node: Node): Part[] {
  const heredoc = node.type === 'heredoc_template'
  const children = node.children
  let start: number
  let end: number
  if (heredoc) {
    const markers = children.filter((child) => child.type === 'heredoc_identifier')
    const closing = markers.at(-1)
    start = reading.parsed.indexOf('\n', markers[0]?.endIndex ?? node.startIndex) + 1
    end = closing && markers.length > 1 ? closing.startIndex - closing.startPosition.column : start
  } else {
    start = children[0]?.endIndex ?? node.startIndex
    end = children.at(-1)?.type === 'quoted_template_end' ? (children.at(-1) as Node).startIndex : node.endIndex
  }
  const parts: Part[] = []
  let at = start
  for (const child of children) {
    if (child.type !== 'template_interpolation' && child.type !== 'template_directive') continue
    if (child.startIndex > at) parts.push({ literal: between(at, child.startIndex) })
    parts.push({ written: child })
    at = child.endIndex
  }
  if (end > at) parts.push({ literal: between(at, end) })
  const read = parts.map((part) =>
    'literal' in part ? { literal: unescape(part.literal, { backslashes: !heredoc }) as string } : part
  )
  strip(read)
  if (heredoc && children.some((child) => child.type === 'heredoc_start' && text(child) === '<<-')) flush(read)
  return read
}

/** `${~ … ~}` takes the white space next to it out of the literal text beside it. */
function strip(parts: Part[]): void {
  for (const [index, part] of parts.entries()) {
    if ('literal' in part) continue
    const markers = part.written.children.filter((child) => child.type === 'strip_marker')
    const expression = part.written.namedChildren.find((child) => child.type === 'expression')
    const before = parts[index - 1]
    const after = parts[index + 1]
    for (const marker of markers) {
      const leading = marker.startIndex < (expression?.startIndex ?? 0)
      if (leading && before && 'literal' in before) before.literal = before.literal.trimEnd()
      if (!leading && after && 'literal' in after) after.literal = after.literal.trimStart()
    }
  }
}

/** An interpolation as `${expression}`; a directive as written. */
function written(node: Node): string {
  const expression =
    node.type === 'template_interpolation' ? node.namedChildren.find((child) => child.type === 'expression') : undefined
  return expression ? `\${${text(expression)}}` : text(node)
}

/**
 * A flush heredoc (`<<-`) loses the shortest run of leading white space among its lines, as
 * HCL does it: a line of white space only does not count, and a line that starts with an
 * interpolation counts as none.
 */
function flush(parts: Part[]): void {
  let shortest = Infinity
  const lineStarts: Array<{ part: { literal: string }; offset: number }> = []
  let atLineStart = true
  for (const part of parts) {
    if (!('literal' in part)) {
      if (atLineStart) shortest = 0
      atLineStart = false
      continue
    }
    const text = part.literal
    let offset = atLineStart ? 0 : text.indexOf('\n') + 1 || text.length
    while (offset < text.length) {
      const lineEnd = text.indexOf('\n', offset)
      const line = text.slice(offset, lineEnd === -1 ? undefined : lineEnd + 1)
      const indent = line.length - line.trimStart().length
      if (!(line.trim() === '' && line.endsWith('\n'))) {
        shortest = Math.min(shortest, indent)
        lineStarts.push({ part, offset })
      }
      if (lineEnd === -1) break
      offset = lineEnd + 1
    }
    atLineStart = text.endsWith('\n')
  }
  if (!Number.isFinite(shortest) || shortest === 0) return
  // From the last line start back, so that earlier offsets stay true.
  for (const { part, offset } of lineStarts.reverse()) {
    part.literal = part.literal.slice(0, offset) + part.literal.slice(offset + shortest)
  }
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' }

/**
 * Literal text as HCL's scanner reads it, left to right: `$${` is `${` and `%%{` is `%{`, any
 * other `$` or `%` is itself (so `$$${` is `$` and `${`); with `backslashes` (a quoted string,
 * not a heredoc), `\n`, `\"`, `\u00e9` and the like too. A `${` or `%{` that is not escaped
 * makes it undefined when `literalOnly`, and is kept as it is otherwise.
 */
function unescape(text: string, { backslashes = false, literalOnly = false } = {}): string | undefined {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    const marker = char === '$' || char === '%'
    if (backslashes && char === '\\' && i + 1 < text.length) {
      const next = text[i + 1]
      const digits = next === 'u' ? 4 : next === 'U' ? 8 : 0
      if (escapes[next] !== undefined) {
        out += escapes[next]
        i++
        continue
      }
      const hex = text.slice(i + 2, i + 2 + digits)
      if (digits > 0 && hex.length === digits && /^[0-9a-fA-F]+$/.test(hex)) {
        out += String.fromCodePoint(Number.parseInt(hex, 16))
        i += 1 + digits
        continue
      }
    } else if (marker && text[i + 1] === char && text[i + 2] === '{') {
      out += `${char}{`
      i += 2
      continue
    } else if (marker && literalOnly && text[i + 1] === '{') {
      return undefined
    }
    out += char
  }
  return out
}

/**
 * What a string of HCL's JSON syntax reads as when it is literal text only (`"a$${b}"` is
 * `a${b}`); undefined when it interpolates or directs anything. Read with HCL's escapes by
 * unescape(), since tree-sitter's grammar reads `$$${` as `$$` and an interpolation.
 */
export function literalText(template: string): string | undefined {
  return unescape(template, { literalOnly: true })
}

/**
 * The references a string's part may be that the action can know before Packer runs; `source.*`
 * and `build.*` only for a build's own settings.
 */
export type Reference = { var: string } | { local: string } | { path: string } | { env: string } | { source: string } | { build: string }

/**
 * A part of a string as the action evaluates it: literal text, a reference (`var.NAME`,
 * `local.NAME`, `path.root`, `env("NAME")`), or anything else.
 */
export type StringPart = { literal: string } | { reference: Reference } | { other: string }

/** Ends the heredoc that withStringTree() reads a string in. */
const endOfString = 'END_OF_PACKER_AMI_ACTION_STRING'

/**
 * Reads with `read` the syntax tree of a string of HCL's JSON syntax (as the parser gives it),
 * parsed as a heredoc, where text is text (no backslash escapes, quotes as they are) and
 * interpolations and directives are read as written; `none` where it cannot be one (a line of it
 * would end the heredoc) or the parser fails.
 */
function withStringTree<T>(template: string, none: T, read: (root: Node) => T): Promise<T> {
  if (template.split('\n').some((line) => line.trim() === endOfString)) return Promise.resolve(none)
  return withTree('expression', `x = <<${endOfString}\n${template}\n${endOfString}\n`, read).catch(() => none)
}

/**
 * The parts of a string of HCL's JSON syntax (`${var.dir}/m.json`, as the parser gives it), or
 * undefined where it is not one. It is read as a heredoc, where text is text (no backslash
 * escapes, quotes as they are) and interpolations are read as written, `env("X")` among them.
 */
export function stringParts(template: string): Promise<StringPart[] | undefined> {
  return withStringTree(template, undefined, (root) => {
    const expression = root.descendantsOfType('attribute')[0]?.namedChildren.find((child) => child.type === 'expression')
    const term = expression?.childCount === 1 ? expression.child(0) : null
    const node = term?.type === 'template_expr' ? term.child(0) : null
    if (node?.type !== 'heredoc_template') return undefined
    const parts = templateParts(node).map((part): StringPart => ('literal' in part ? part : interpolated(part.written)))
    // The heredoc's last line break is not the string's.
    const last = parts.at(-1)
    if (last && 'literal' in last && last.literal.endsWith('\n')) {
      last.literal = last.literal.slice(0, -1)
      if (last.literal === '') parts.pop()
    }
    return parts
  })
}

/**
 * The attributes of `root` (`build`, `local`, `data`) that a string of HCL's JSON syntax (as the
 * parser gives it) reads anywhere in its interpolations and directives (`${build.name}`,
 * `${upper(local.name)}`, `${data.amazon-ami.base.id}`: amazon-ami), each once, in order; none
 * when it is not one.
 */
export function attributesOf(root: 'build' | 'local' | 'data', template: string): Promise<string[]> {
  if (!template.includes(root)) return Promise.resolve([])
  return withStringTree(template, [], (tree) => {
    const read = tree.descendantsOfType('variable_expr').flatMap((variable) => {
      const attribute = variable?.nextNamedSibling
      const name = attribute?.type === 'get_attr' ? attribute.namedChildren[0] : undefined
      return variable && text(variable) === root && name?.type === 'identifier' ? [text(name)] : []
    })
    return [...new Set(read)]
  })
}

/**
 * The attribute names each traversal from `root` reads anywhere in a string of HCL's JSON syntax
 * (as the parser gives it), up to its first index or call: `${data.amazon-secretsmanager.db.value}`
 * is [amazon-secretsmanager, db, value] of `data`; each once, in order; none when it is not one.
 */
export function traversalsOf(root: 'data', template: string): Promise<string[][]> {
  if (!template.includes(root)) return Promise.resolve([])
  return withStringTree(template, [], (tree) => {
    const read = new Map<string, string[]>()
    for (const variable of tree.descendantsOfType('variable_expr')) {
      if (!variable || text(variable) !== root) continue
      const names: string[] = []
      for (let step = variable.nextNamedSibling; step?.type === 'get_attr'; step = step.nextNamedSibling) {
        const name = step.namedChildren[0]
        if (name?.type !== 'identifier') break
        names.push(text(name))
      }
      read.set(names.join('.'), names)
    }
    return [...read.values()]
  })
}

/**
 * The NAMEs of the `env("NAME")` calls a string of HCL's JSON syntax (as the parser gives it) makes
 * anywhere in its interpolations and directives (`${env("A")}-${lower(env("B"))}`), each once, in
 * order; none when it is not one. A call whose argument is not literal text names none.
 */
export function environmentNames(template: string): Promise<string[]> {
  if (!template.includes('env')) return Promise.resolve([])
  return withStringTree(template, [], (tree) => {
    const names = tree.descendantsOfType('function_call').flatMap((call) => environmentVariable(call) ?? [])
    return [...new Set(names)]
  })
}

/**
 * The calls a string of HCL's JSON syntax (as the parser gives it) makes anywhere in its
 * interpolations and directives to one of `functions`, each as written (`vault("/kv", "token")`
 * of `TOKEN=${vault("/kv", "token")}`), once, in order: those whose arguments read nothing but
 * literal values, input variables and locals, which `packer console` can evaluate alone.
 */
export function callsTo(functions: string[], template: string): Promise<string[]> {
  if (!functions.some((name) => template.includes(name))) return Promise.resolve([])
  return withStringTree(template, [], (tree) => {
    const calls = tree.descendantsOfType('function_call').flatMap((call) => {
      const name = call?.namedChildren[0]
      if (!call || name?.type !== 'identifier' || !functions.includes(text(name))) return []
      const reads = call.descendantsOfType('variable_expr').map((variable) => (variable ? text(variable) : ''))
      return reads.every((root) => root === 'var' || root === 'local') ? [text(call)] : []
    })
    return [...new Set(calls)]
  })
}

/**
 * Reads with `read` the expression a string of HCL's JSON syntax (as the parser gives it) is when
 * it is one interpolation alone (`${merge(local.tags, var.tags)}`); undefined when it is not one.
 */
function soleExpression<T>(template: string, read: (expression: Node) => T | undefined): Promise<T | undefined> {
  if (!template.startsWith('${')) return Promise.resolve(undefined)
  return withStringTree(template, undefined, (root) => {
    const expression = root.descendantsOfType('attribute')[0]?.namedChildren.find((child) => child.type === 'expression')
    const term = expression?.childCount === 1 ? expression.child(0) : null
    const node = term?.type === 'template_expr' ? term.child(0) : null
    // The heredoc's last line break is not the string's.
    const parts = (node?.type === 'heredoc_template' ? templateParts(node) : []).filter((part) => !('literal' in part && part.literal === '\n'))
    const interpolation = parts.length === 1 && 'written' in parts[0] ? parts[0].written : undefined
    const inner = interpolation?.type === 'template_interpolation' ? interpolation.namedChildren.find((child) => child.type === 'expression') : undefined
    return inner ? read(inner) : undefined
  })
}

/**
 * The expression a string of HCL's JSON syntax is when it is one interpolation alone, as the user
 * wrote it (`var.steps[0]` of `${var.steps[0]}`); undefined when it is not one.
 */
export function soleExpressionText(template: string): Promise<string | undefined> {
  return soleExpression(template, (expression) => text(expression))
}

/**
 * The function a string of HCL's JSON syntax calls when it is that call alone
 * (`${merge(local.tags, { Team = "x" })}`, as the parser gives it): its name and its arguments,
 * each as parse() gives a value (a literal object as one, any other expression as `${source}`).
 * Undefined when it is not one call, or an argument is expanded (`merge(var.maps...)`).
 */
export function functionCall(template: string): Promise<{ name: string; args: unknown[] } | undefined> {
  return soleExpression(template, (expression) => {
    const call = expression.childCount === 1 ? expression.child(0) : null
    if (call?.type !== 'function_call') return undefined
    const [name, args] = call.namedChildren
    if (name?.type !== 'identifier' || (args !== undefined && args.type !== 'function_arguments')) return undefined
    const given = args?.namedChildren ?? []
    if (given.some((child) => child.type === 'ellipsis')) return undefined
    return { name: text(name), args: given.filter((child) => child.type === 'expression').map(value) }
  })
}

/**
 * The names of a string of HCL's JSON syntax that is a traversal alone (`${tag.key}` is tag and
 * key, `${each}` is each); undefined when it is anything else (an index, a call, text).
 */
export function traversalNames(template: string): Promise<string[] | undefined> {
  return soleExpression(template, (expression) => {
    const [root, ...steps] = expression.children
    if (root?.type !== 'variable_expr' || !steps.every((step) => step.type === 'get_attr')) return undefined
    const names = [root, ...steps].map((step) => step.namedChildren.find((child) => child.type === 'identifier'))
    return names.every((name) => name !== undefined) ? names.map((name) => text(name as Node)) : undefined
  })
}

function interpolated(node: Node): StringPart {
  const inner = node.type === 'template_interpolation' ? node.namedChildren : []
  const expression = inner.length === 3 ? inner[1] : undefined
  const [root, attribute] = expression?.namedChildren ?? []
  if (expression?.childCount === 2 && root?.type === 'variable_expr' && attribute?.type === 'get_attr') {
    const name = attribute.namedChildren[0]
    const namespace = text(root)
    if (name?.type === 'identifier' && ['var', 'local', 'path', 'source', 'build'].includes(namespace)) {
      return { reference: { [namespace]: text(name) } as Reference }
    }
  }
  const variable = expression?.childCount === 1 ? environmentVariable(expression.child(0)) : undefined
  if (variable !== undefined) return { reference: { env: variable } }
  return { other: text(node) }
}

/** The NAME of `env("NAME")`, the one function Packer allows in a variable's default. */
function environmentVariable(call: Node | null): string | undefined {
  if (call?.type !== 'function_call' || text(call.namedChildren[0] as Node) !== 'env') return undefined
  const args = call.namedChildren[1]?.namedChildren ?? []
  const literal = args.length === 1 && args[0].childCount === 1 ? args[0].child(0) : null
  const string = literal?.type === 'literal_value' ? literal.child(0) : null
  const parts = string?.type === 'string_lit' ? string.namedChildren.filter((child) => child.type !== 'quoted_template_start' && child.type !== 'quoted_template_end') : []
  if (parts.length !== 1 || parts[0].type !== 'template_literal') return undefined
  const name = text(parts[0])
  return /^[^\\"$%]+$/.test(name) ? name : undefined
}
