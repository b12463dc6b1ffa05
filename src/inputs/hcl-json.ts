// A `.pkr.json` file as Packer reads it: HCL's JSON syntax keeps every property of an object,
// so a block type written twice (`"provisioner": {…}, "provisioner": {…}`) is two blocks, as
// is one written in two elements of a top-level array. JSON.parse keeps only the last of the
// same name, and a JSON path cannot tell the first from the second: the file is read with a
// parser that keeps them all (jsonc-parser), into one body, and a path into that body is found
// in the file by the same reading. Loaded only for a template with `.pkr.json` files, and for the
// fingerprint of JSON files that may hold a sensitive value (jsonVariableValueSpans).
import { parseTree, type Node, type ParseError } from 'jsonc-parser'
import { isRecord } from '../common/values.js'
import type { SourceUse } from './hcl-parser.js'
import { positionOf, type JsonPath, type JsonPosition } from './template.js'

/** The values of the properties named `key` of the `objects`, in file order. */
function propertyValues(objects: Node[], key: string): Node[] {
  return objects.flatMap((object) =>
    (object.children ?? []).flatMap((property) => {
      const [name, value] = property.children ?? []
      return name?.value === key && value !== undefined ? [value] : []
    })
  )
}

/** What a body holds under a name given more than once, or in a top-level array: each value's blocks, in order. */
function listed(values: Node[]): Node[] {
  return values.flatMap((value) => (value.type === 'array' ? (value.children ?? []) : [value]))
}

/**
 * The `objects` as one body: a name given once keeps its value, one given more than once (or
 * `always`, for a top-level array's elements) is the list of their blocks.
 */
function bodyOf(objects: Node[], always: boolean): Record<string, unknown> {
  const names = [...new Set(objects.flatMap((object) => (object.children ?? []).map((property) => String(property.children?.[0]?.value))))]
  return Object.fromEntries(
    names.map((name) => {
      const values = propertyValues(objects, name)
      return [name, values.length === 1 && !always ? valueOf(values[0]) : listed(values).map(valueOf)]
    })
  )
}

function valueOf(node: Node): unknown {
  if (node.type === 'object') return bodyOf([node], false)
  if (node.type === 'array') return (node.children ?? []).map(valueOf)
  return node.value
}

/** A top-level array's elements that are objects: Packer reads their blocks as one body's. */
function topObjects(root: Node): Node[] {
  return root.type === 'array' ? (root.children ?? []).filter((element) => element.type === 'object') : [root]
}

/** The file's top value, when it is an object or an array (as a template's must be). */
function templateRoot(text: string): Node | undefined {
  const root = parseTree(text)
  return root !== undefined && (root.type === 'object' || root.type === 'array') ? root : undefined
}

function bodyOfRoot(root: Node): Record<string, unknown> {
  return bodyOf(topObjects(root), root.type === 'array')
}

/** The body of a `.pkr.json` file's `text`, which JSON.parse has read: every block of it, each once. */
export function hclJsonBody(text: string): Record<string, unknown> {
  return hclJsonRead(text).body
}

/** A `.pkr.json` file's body (hclJsonBody) and the sources its build blocks list (hclJsonSourceUses), from one parse. */
export function hclJsonRead(text: string): { body: Record<string, unknown>; sourceUses: SourceUse[] } {
  const root = templateRoot(text)
  if (root === undefined) return { body: {}, sourceUses: [] }
  const body = bodyOfRoot(root)
  return { body, sourceUses: sourceUsesIn(root, text, body) }
}

/**
 * The entries of the `sources` list of each build block of a `.pkr.json` file, in order, where
 * each is written (sourceUses, for a `.pkr.hcl` file). Packer 1.6.6 decodes the list without an
 * evaluation context, so HCL's JSON syntax gives each entry verbatim, the JSON string as it is;
 * later Packers read it as a template, which is the same text where it has neither `${` nor `%{`.
 * Entries that are not strings are Packer's to refuse.
 */
function sourceUsesIn(root: Node, text: string, body: Record<string, unknown>): SourceUse[] {
  const builds: Array<[unknown, JsonPath]> = Array.isArray(body.build)
    ? body.build.map((build, index) => [build, ['build', index]])
    : body.build === undefined
      ? []
      : [[body.build, ['build']]]
  return builds.flatMap(([build, path]) => {
    const sources = isRecord(build) ? build.sources : undefined
    if (!Array.isArray(sources)) return []
    const begins = placeIn(root, text, path)?.line ?? 0
    return sources.flatMap((used, index): SourceUse[] => {
      const at = typeof used === 'string' ? placeIn(root, text, [...path, 'sources', index]) : undefined
      return typeof used === 'string' && at ? [{ build: begins, used, listed: true, ...at }] : []
    })
  })
}

/**
 * Where in a `.pkr.json` file's `text` the value at `path` into its body (hclJsonBody) is
 * written: its key, or its entry in a list; with `itself`, where the value itself begins.
 */
export function hclJsonPlace(text: string, path: JsonPath, itself = false): JsonPosition | undefined {
  const root = templateRoot(text)
  return root === undefined ? undefined : placeIn(root, text, path, itself)
}

function placeIn(root: Node, text: string, path: JsonPath, itself = false): JsonPosition | undefined {
  // Where the walk is: one value, or the list of blocks under a name given more than once.
  let at: Node | Node[] = root
  let steps = path
  if (root.type === 'array') {
    const [name, ...rest] = path
    if (typeof name !== 'string') return undefined
    at = listed(propertyValues(topObjects(root), name))
    steps = rest
  }
  for (const step of steps) {
    if (Array.isArray(at)) {
      if (typeof step !== 'number' || at[step] === undefined) return undefined
      at = at[step]
    } else if (typeof step === 'number') {
      const item = at.type === 'array' ? at.children?.[step] : undefined
      if (item === undefined) return undefined
      at = item
    } else {
      const values = at.type === 'object' ? propertyValues([at], step) : []
      if (values.length === 0) return undefined
      at = values.length === 1 ? values[0] : listed(values)
    }
  }
  if (Array.isArray(at)) return undefined
  const written = at.parent?.type === 'property' && !itself ? at.parent : at
  return positionOf(text, written.offset)
}

/** The path into a body (hclJsonBody) of the block `type` with these labels, however the file lays it out. */
function blockPath(value: unknown, labels: string[], path: JsonPath): JsonPath | undefined {
  if (labels.length === 0) return path
  if (Array.isArray(value)) {
    for (const [index, element] of value.entries()) {
      const found = blockPath(element, labels, [...path, index])
      if (found !== undefined) return found
    }
    return undefined
  }
  const [label, ...rest] = labels
  return isRecord(value) && Object.hasOwn(value, label) ? blockPath(value[label], rest, [...path, label]) : undefined
}

/**
 * Where a `.pkr.json` file's `text` declares the block `type` with these labels (a `variable`
 * and its name): under the type's key given once or more, in a list of label objects, or in an
 * element of a top-level array.
 */
export function hclJsonBlockPlace(text: string, type: string, labels: string[]): JsonPosition | undefined {
  // One parse for both the body and the walk back into the file.
  const root = templateRoot(text)
  const path = root === undefined ? undefined : blockPath(bodyOfRoot(root)[type], labels, [type])
  return root === undefined || path === undefined ? undefined : placeIn(root, text, path)
}

/**
 * Where a `.pkr.json` file's `text` declares the input variable `name` in a `variable` block,
 * when it declares it once: none when it does not, undefined when it declares it more than once
 * or in a `variables` block (the order of those Packer's reading gives is not known here).
 */
export function hclJsonVariableDeclaration(text: string, name: string): JsonPosition[] | undefined {
  const body = hclJsonBody(text)
  const blocks = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value])
  const declaring = (type: string): unknown[] =>
    blocks(body[type]).flatMap((block) => (isRecord(block) && Object.hasOwn(block, name) ? blocks(block[name]) : []))
  const declared = declaring('variable')
  if (declaring('variables').length > 0 || declared.length > 1) return undefined
  const place = declared.length === 1 ? hclJsonBlockPlace(text, 'variable', [name]) : undefined
  return declared.length === 0 ? [] : place && [place]
}

/**
 * Where a JSON file's `text` writes the values of the input variables `names`, as offsets (start,
 * end), in file order: in a variables file, the value of each property of that name (every one,
 * where a name is given twice); in a JSON template, those of its `variables`; in a `.pkr.json`
 * file, the `default` of their `variable` blocks, their values in `variables` blocks and the
 * `expression` of each `local` block marked sensitive, however the file lays the blocks out.
 * Each whole value, however its string is escaped. Undefined where the text is not JSON.
 */
export function jsonVariableValueSpans(
  text: string,
  names: ReadonlySet<string>,
  layout: 'variables file' | 'json template' | 'hcl template'
): Array<[number, number]> | undefined {
  const errors: ParseError[] = []
  const root = parseTree(text, errors, { disallowComments: true })
  if (root === undefined || errors.length > 0) return undefined
  const objects = (values: Node[]): Node[] => listed(values).filter((value) => value.type === 'object')
  const ofNames = (found: Node[]): Node[] =>
    found.flatMap((object) =>
      (object.children ?? []).flatMap((property) => {
        const [name, value] = property.children ?? []
        return name !== undefined && value !== undefined && names.has(String(name.value)) ? [value] : []
      })
    )
  const top = root.type === 'array' ? objects([root]) : [root]
  let values: Node[]
  if (layout === 'variables file') values = ofNames([root])
  else if (layout === 'json template') values = ofNames(objects(propertyValues([root], 'variables')))
  else {
    const labelled = (type: string): Node[] => objects(propertyValues(top, type))
    const declared = labelled('variable').flatMap((byName) => ofNames([byName]))
    const locals = objects(labelled('local').flatMap((byName) => (byName.children ?? []).flatMap((property) => property.children?.[1] ?? [])))
    const sensitiveLocals = locals.filter((local) => propertyValues([local], 'sensitive').some((value) => value.value === true || value.value === 'true'))
    values = [
      ...propertyValues(objects(declared), 'default'),
      ...ofNames(labelled('variables')),
      ...propertyValues(sensitiveLocals, 'expression')
    ]
  }
  return values.map((value): [number, number] => [value.offset, value.offset + value.length]).sort(([a], [b]) => a - b)
}
