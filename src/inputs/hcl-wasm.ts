// The HCL parser's two WebAssembly modules: tree-sitter's runtime and the HCL grammar. Run from
// source, they are read from their packages; the bundle replaces this module with one that
// reads them from dist/hcl/ (scripts/bundle.mjs).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

export interface HclWasm {
  runtime: Uint8Array
  grammar: Uint8Array
}

export async function hclWasm(): Promise<HclWasm> {
  const require = createRequire(import.meta.url)
  const [runtime, grammar] = await Promise.all([
    readFile(require.resolve('web-tree-sitter/web-tree-sitter.wasm')),
    readFile(require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm'))
  ])
  return { runtime, grammar }
}
