// The one reader of action.yml for the tests, the demo and the benchmark. It reads the file
// with a YAML library (`yaml`, the one GitHub's own parser is built on), never line by line, so
// what it returns is what the runner sees. Whether the file is a valid action is checked by
// GitHub's parser in contract-files.test.ts.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const actionYmlPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'action.yml')

export interface ActionInput {
  description: string
  required?: boolean
  /** As the runner passes it: a string, or undefined when action.yml declares no default. */
  default?: string
}

export interface ActionMetadata {
  name: string
  description: string
  inputs: Record<string, ActionInput>
  outputs: Record<string, { description: string }>
  runs: { using: string; main: string; post?: string; 'post-if'?: string }
}

/** action.yml, parsed. Throws, naming the file, when it is not YAML or lacks inputs/runs. */
export function readActionYml(path: string = actionYmlPath): ActionMetadata {
  const metadata = parse(readFileSync(path, 'utf8'), { prettyErrors: true }) as Partial<ActionMetadata> | null
  if (!metadata || typeof metadata.inputs !== 'object' || typeof metadata.runs !== 'object') {
    throw new Error(`${path}: expected a mapping with inputs and runs`)
  }
  const inputs: Record<string, ActionInput> = {}
  for (const [name, input] of Object.entries(metadata.inputs)) {
    // The runner hands every default to the action as a string ('true', not true).
    inputs[name] = { ...input, default: input.default === undefined || input.default === null ? undefined : String(input.default) }
  }
  return { ...(metadata as ActionMetadata), inputs, outputs: metadata.outputs ?? {} }
}

/** The names of the inputs action.yml declares. */
export function actionInputNames(): string[] {
  return Object.keys(readActionYml().inputs)
}
