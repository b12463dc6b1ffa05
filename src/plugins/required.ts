import { readFile, stat } from 'node:fs/promises'
import { hclTemplateFiles } from '../inputs/template.js'

/** Drops comments and runs of whitespace outside strings, so formatting does not count. */
function normaliseHcl(text: string): string {
  let out = ''
  let index = 0
  let pendingSpace = false
  const emit = (value: string) => {
    if (pendingSpace && out !== '') out += ' '
    pendingSpace = false
    out += value
  }
  while (index < text.length) {
    const char = text[index]
    const next = text[index + 1]
    if (char === '#' || (char === '/' && next === '/')) {
      while (index < text.length && text[index] !== '\n') index++
      pendingSpace = true
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', index + 2)
      index = end < 0 ? text.length : end + 2
      pendingSpace = true
    } else if (char === '"') {
      let end = index + 1
      while (end < text.length && text[end] !== '"' && text[end] !== '\n') {
        end += text[end] === '\\' ? 2 : 1
      }
      emit(text.slice(index, end + 1))
      index = end + 1
    } else if (/\s/.test(char)) {
      pendingSpace = true
      index++
    } else {
      emit(char)
      index++
    }
  }
  return out
}

/** The `required_plugins { … }` blocks of an HCL2 file, each normalised. */
export function requiredPluginsBlocks(hcl: string): string[] {
  const text = normaliseHcl(hcl)
  const blocks: string[] = []
  const pattern = /(^|[^\w-])required_plugins ?\{/g
  let inString = false
  let scanned = 0
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    // Skip matches inside strings: count the quotes between the last match and this one.
    for (; scanned < match.index; scanned++) {
      if (text[scanned] === '\\' && inString) scanned++
      else if (text[scanned] === '"') inString = !inString
    }
    if (inString) continue
    const open = text.indexOf('{', match.index)
    let depth = 0
    let end = open
    let quoted = false
    for (; end < text.length; end++) {
      const char = text[end]
      if (quoted) {
        if (char === '\\') end++
        else if (char === '"') quoted = false
      } else if (char === '"') quoted = true
      else if (char === '{') depth++
      else if (char === '}' && --depth === 0) break
    }
    blocks.push(text.slice(open, end + 1))
    pattern.lastIndex = end + 1
    scanned = end + 1
  }
  return blocks
}

/** `packer.required_plugins` of an HCL2 JSON file (`.pkr.json`), as canonical JSON. */
function requiredPluginsOfJson(json: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    return [json]
  }
  const packer = (parsed as { packer?: unknown } | null)?.packer
  const blocks = Array.isArray(packer) ? packer : packer ? [packer] : []
  return blocks
    .map((block) => (block as { required_plugins?: unknown } | null)?.required_plugins)
    .filter((plugins) => plugins !== undefined)
    .map((plugins) => JSON.stringify(plugins))
}

/**
 * The required_plugins declarations of an HCL2 template (a file, or a directory of
 * `.pkr.hcl` / `.pkr.json` files the way `packer init` reads it), sorted.
 */
export async function templateRequiredPlugins(templatePath: string): Promise<string[]> {
  const files = (await stat(templatePath)).isDirectory() ? hclTemplateFiles(templatePath) : [templatePath]
  const blocks: string[] = []
  for (const file of files) {
    const content = await readFile(file, 'utf8')
    blocks.push(
      ...(file.endsWith('.json') ? requiredPluginsOfJson(content) : requiredPluginsBlocks(content))
    )
  }
  return blocks.sort()
}
