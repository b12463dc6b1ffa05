// The action's own warnings about a JSON template's variables, which Packer passes over in
// silence: an input variable the template ignores, and a variable the template uses that
// nothing sets. Each undeclared one is annotated on the line that uses it.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import type { Inputs } from '../inputs/index.js'
import type { JsonPath } from '../inputs/template.js'
import { annotate, type Annotation } from './annotation.js'

type VariableInputs = Pick<Inputs, 'variablesWarnings' | 'undeclaredVariables' | 'workingDirectory' | 'template' | 'workspace'>

/** Annotates each warning, and gives them back for the summary. */
export async function reportVariables(inputs: VariableInputs): Promise<Annotation[]> {
  const made = inputs.variablesWarnings.map((message) => annotate({ level: 'warning', message, title: 'Unused variable' }))
  if (inputs.undeclaredVariables.length === 0) return made
  const path = resolve(inputs.workingDirectory, inputs.template)
  // The template is read with positions only now that there is something to place.
  const placed = await Promise.all([import('../common/json-place.js'), readFile(path, 'utf8')]).then(
    ([{ jsonPlace }, text]) => (at: JsonPath) => jsonPlace(text, at),
    () => () => undefined
  )
  for (const { name, path: at } of inputs.undeclaredVariables) {
    const place = placed(at)
    made.push(
      annotate({
        level: 'warning',
        message:
          `{{user \`${name}\`}} in ${shownPath(at)}: ${inputs.template} does not declare "${name}", and no variables file or ` +
          'input sets it, so Packer puts an empty string there.',
        title: 'Undeclared variable',
        ...(place && { file: workspaceRelative(path, inputs.workspace), line: place.line, column: place.column })
      })
    )
  }
  return made
}

/** `builders[0].ami_name`, as a path into a JSON document reads. */
function shownPath(path: JsonPath): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').slice(1)
}
