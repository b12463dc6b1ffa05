// Where a value is in a JSON file, so that an annotation can point at its line. Found with a
// parser that keeps positions (jsonc-parser), which a run loads only when it has something to
// point at: as dist/stages/json-place.js before the job, or with the job's report.
import { findNodeAtLocation, parseTree } from 'jsonc-parser'
import { positionOf, type JsonPath, type JsonPosition } from '../inputs/template.js'

/** Where in the JSON `text` the value at `path` is: its key, or its entry in a list. */
export function jsonPlace(text: string, path: JsonPath): JsonPosition | undefined {
  const root = parseTree(text)
  const node = root && findNodeAtLocation(root, path)
  const written = node?.parent?.type === 'property' ? node.parent : node
  return written ? positionOf(text, written.offset) : undefined
}
