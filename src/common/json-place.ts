// Where a value is in a JSON file, so that an annotation can point at its line. Found with a
// parser that keeps positions (jsonc-parser), which a run loads only when it has something to
// point at: as dist/stages/json-place.js before the job, or with the job's report.
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser'
import { packerRootKey, positionOf, type JsonPath, type JsonPosition } from '../inputs/template.js'

/** Where in the JSON `text` the value at `path` is: its key, or its entry in a list. */
export function jsonPlace(text: string, path: JsonPath): JsonPosition | undefined {
  const root = parseTree(text)
  const node = root && nodeAt(root, asWritten(root, path))
  const written = node?.parent?.type === 'property' ? node.parent : node
  return written ? positionOf(text, written.offset) : undefined
}

/** Where in the JSON `text` the value at `path` begins, after its key. */
export function jsonValuePlace(text: string, path: JsonPath): JsonPosition | undefined {
  const root = parseTree(text)
  const node = root && nodeAt(root, asWritten(root, path))
  return node ? positionOf(text, node.offset) : undefined
}

/**
 * The node at `path`: of a key written twice in one object, the last, which Go's JSON decoder
 * keeps (Packer 1.6.6 refuses a template that does so, but takes such a variables file).
 */
function nodeAt(root: Node, path: JsonPath): Node | undefined {
  let node: Node | undefined = root
  for (const segment of path) {
    const entries: Node[] = node?.type === (typeof segment === 'number' ? 'array' : 'object') ? (node.children ?? []) : []
    node = typeof segment === 'number' ? entries[segment] : entries.findLast((property) => property.children?.[0]?.value === segment)?.children?.[1]
  }
  return node
}

/**
 * `path` with its first key as the file writes it: a template's root key may be in another case
 * (`Builders`), which Packer reads, and the job names as Packer documents it.
 */
export function asWritten(root: Node, path: JsonPath): JsonPath {
  const [first, ...rest] = path
  if (typeof first !== 'string' || root.type !== 'object') return path
  const keys = (root.children ?? []).map((property) => property.children?.[0]?.value as unknown)
  if (keys.includes(first)) return path
  const written = keys.find((key): key is string => typeof key === 'string' && packerRootKey(key, keys) === first)
  return written === undefined ? path : [written, ...rest]
}

/** The value of the template's root key `key` (as Packer documents it), in whatever case the file writes it. */
export function rootEntry(root: Node, key: string): Node | undefined {
  return findNodeAtLocation(root, asWritten(root, [key]))
}
