// What the action needs to know about a template before Packer runs: its kind, the
// builders and post-processors it names, and where its manifest post-processor writes.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

export type TemplateKind = 'json' | 'hcl'

/** Packer's own rule for the files of an HCL2 template. */
export function isHclTemplateFile(name: string): boolean {
  return name.endsWith('.pkr.hcl') || name.endsWith('.pkr.json')
}

/** Packer's own rule: HCL2 mode for .pkr.hcl / .pkr.json files and for directories. */
export function templateKind(path: string, isDirectory: boolean): TemplateKind {
  return isDirectory || isHclTemplateFile(path) ? 'hcl' : 'json'
}

/** The files Packer reads for an HCL2 template directory, in its order (by name). */
export function hclTemplateFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter(isHclTemplateFile)
    .sort()
    .map((name) => join(directory, name))
}

export interface JsonPosition {
  line: number
  column: number
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position?: JsonPosition
  ) {
    super(message)
  }
}

/** Line and column (1-based) of a character offset, for error messages that point at a file. */
export function positionOf(text: string, offset: number): JsonPosition {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++
      lineStart = i + 1
    }
  }
  return { line, column: offset - lineStart + 1 }
}

/** JSON.parse with the line and column of a syntax error, whatever the Node version says. */
export function parseJsonWithPosition(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const message = (error as Error).message
    const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message)
    const offset = /at position (\d+)/.exec(message)
    let position: JsonPosition | undefined
    if (lineColumn) position = { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
    else if (offset) position = positionOf(text, Number(offset[1]))
    else if (/end of (JSON|data) input/i.test(message)) position = positionOf(text, text.length)
    const reason = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/^JSON\.parse: /, '')
    throw new JsonSyntaxError(reason, position)
  }
}

export interface JsonTemplateInfo {
  builders: Array<{ name: string; type: string }>
  postProcessorTypes: string[]
  /** The manifest post-processor's `output`, when it names a literal path. */
  manifestOutput?: string
}

type PostProcessorDefinition = string | { type?: unknown; output?: unknown }

/** Reads a parsed legacy JSON template; throws an Error describing what is wrong with it. */
export function describeJsonTemplate(template: unknown): JsonTemplateInfo {
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    throw new Error('expected a JSON object with "builders"')
  }
  const { builders, 'post-processors': postProcessors } = template as {
    builders?: unknown
    'post-processors'?: unknown
  }
  if (!Array.isArray(builders) || builders.length === 0) {
    throw new Error('expected "builders" to be a non-empty array')
  }
  const described = builders.map((builder: unknown, index) => {
    const { type, name } = (builder ?? {}) as { type?: unknown; name?: unknown }
    if (typeof type !== 'string' || type === '') {
      throw new Error(`builder ${index + 1} has no "type"`)
    }
    return { type, name: typeof name === 'string' && name !== '' ? name : type }
  })

  // Each entry is a type name, a definition, or a sequence of them.
  const definitions: PostProcessorDefinition[] = []
  if (Array.isArray(postProcessors)) {
    for (const entry of postProcessors) {
      if (Array.isArray(entry)) definitions.push(...(entry as PostProcessorDefinition[]))
      else definitions.push(entry as PostProcessorDefinition)
    }
  }
  const postProcessorTypes: string[] = []
  let manifestOutput: string | undefined
  for (const definition of definitions) {
    const type = typeof definition === 'string' ? definition : definition?.type
    if (typeof type !== 'string') continue
    postProcessorTypes.push(type)
    if (type === 'manifest' && typeof definition === 'object' && manifestOutput === undefined) {
      const output = definition.output
      if (typeof output === 'string' && output !== '' && !output.includes('{{')) {
        manifestOutput = output
      }
    }
  }
  return { builders: described, postProcessorTypes: [...new Set(postProcessorTypes)], manifestOutput }
}

/**
 * The `output` of a `post-processor "manifest"` block in HCL2 files, when it is a plain string.
 * A light reading: an output built from expressions is left to the default.
 */
export function hclManifestOutput(source: string): string | undefined {
  const block = /post-processor\s+"manifest"\s*\{([^{}]*)\}/.exec(source)
  if (!block) return undefined
  const output = /^\s*output\s*=\s*"([^"$%]*)"\s*$/m.exec(block[1])
  return output && output[1] !== '' ? output[1] : undefined
}

/** Variables files for legacy JSON templates are flat objects of strings. */
export function checkJsonVarFile(parsed: unknown): string | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return 'expected a JSON object of variable names to string values'
  }
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      return `expected variable "${name}" to be a string, found ${JSON.stringify(value)}`
    }
  }
  return undefined
}
