// The action's own warnings about a template's variables, which Packer passes over in silence:
// an input variable a JSON template ignores, a variable a JSON template uses that nothing sets
// (annotated on the line that uses it), and an auto variables file beside an HCL2 template file,
// which Packer does not read (annotated on the file).
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import type { Inputs } from '../inputs/index.js'
import type { JsonPath } from '../inputs/template.js'
import { annotateEach, type Annotation } from './annotation.js'

type VariableInputs = Pick<
  Inputs,
  'variablesWarnings' | 'undeclaredVariables' | 'ignoredAutoVarFiles' | 'workingDirectory' | 'template' | 'workspace'
>

/** Annotates each warning, and gives them back for the summary. */
export async function reportVariables(inputs: VariableInputs): Promise<Annotation[]> {
  const made = inputs.variablesWarnings.map((message): Annotation => ({ level: 'warning', message, title: 'Unused variable' }))
  const directory = dirname(inputs.template)
  for (const file of inputs.ignoredAutoVarFiles) {
    made.push({
      level: 'warning',
      message:
        `${file} is not read: Packer reads *.auto.pkrvars files only from a template directory, and template ` +
        `is the file ${inputs.template}. Set template to its directory ("${directory}") or list the file in var-file ` +
        'to use its values.',
      title: 'Variables file not read',
      file: workspaceRelative(resolve(inputs.workingDirectory, file), inputs.workspace)
    })
  }
  if (inputs.undeclaredVariables.length === 0) return annotateEach(made, laterWarnings)
  const path = resolve(inputs.workingDirectory, inputs.template)
  // The template is read with positions only now that there is something to place.
  const placed = await Promise.all([import('../common/json-place.js'), readFile(path, 'utf8')]).then(
    ([{ jsonPlace }, text]) => (at: JsonPath) => jsonPlace(text, at),
    () => () => undefined
  )
  for (const { name, path: at } of inputs.undeclaredVariables) {
    const place = placed(at)
    made.push({
      level: 'warning',
      message:
        `{{user \`${name}\`}} in ${shownPath(at)}: ${inputs.template} does not declare "${name}", and no variables file or ` +
        'input sets it, so Packer puts an empty string there.',
      title: 'Undeclared variable',
      ...(place && { file: workspaceRelative(path, inputs.workspace), line: place.line, column: place.column })
    })
  }
  return annotateEach(made, laterWarnings)
}

/** Room left for Packer's warnings and the job's own, which come later. */
const laterWarnings = { warning: 3 }

/** `builders[0].ami_name`, as a path into a JSON document reads. */
function shownPath(path: JsonPath): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').slice(1)
}
