// The action's own warnings about a template's variables, which Packer passes over in silence:
// an input variable a JSON template ignores, a variables file's key a JSON template ignores that
// is near a name it declares (annotated on the key's line), a variable a JSON template uses that
// nothing sets (annotated on the line that uses it), and an auto variables file beside an HCL2
// template file, which Packer does not read (annotated on the file); a `sensitive-variables`
// entry a JSON template does not declare, which hides nothing (annotated on the entry). Names
// only: a variables file's values may be secrets.
import { dirname, resolve } from 'node:path'
import { workspaceRelative } from '../common/paths.js'
import type { Inputs } from '../inputs/index.js'
import type { JsonPath, JsonPosition, JsonTemplateSource } from '../inputs/template.js'
import { annotateEach, type Annotation } from './annotation.js'
import { fileTexts } from './texts.js'

type VariableInputs = Pick<
  Inputs,
  | 'variablesWarnings'
  | 'misspeltVarFileKeys'
  | 'undeclaredVariables'
  | 'undeclaredSensitive'
  | 'ignoredAutoVarFiles'
  | 'workingDirectory'
  | 'template'
  | 'jsonTemplate'
  | 'workspace'
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
  const placedIn = jsonPlacer(inputs.jsonTemplate)
  for (const { file, name, meant } of inputs.misspeltVarFileKeys) {
    const place = await placedIn(file, [name])
    const shown = workspaceRelative(file, inputs.workspace)
    made.push({
      level: 'warning',
      message:
        `var-file: ${shown} sets "${name}", which ${inputs.template} does not declare: did you mean "${meant}"? ` +
        `Packer ignores it, and the template's own value of ${meant} stays`,
      title: 'Unused variable',
      ...(place && { file: shown, line: place.line, column: place.column })
    })
  }
  const path = resolve(inputs.workingDirectory, inputs.template)
  for (const { name, path: at, meant } of inputs.undeclaredVariables) {
    const place = await placedIn(path, at)
    made.push({
      level: 'warning',
      message:
        `{{user \`${name}\`}} in ${shownPath(at)}: ${inputs.template} does not declare "${name}", and no variables file or ` +
        `input sets it, so Packer puts an empty string there.${meant === undefined ? '' : ` Did you mean "${meant}"?`}`,
      title: 'Undeclared variable',
      ...(place && { file: workspaceRelative(path, inputs.workspace), line: place.line, column: place.column })
    })
  }
  for (const { name, path: at, meant } of inputs.undeclaredSensitive) {
    const place = await placedIn(path, at)
    const fix =
      meant === undefined
        ? 'List there only variables the template declares in its "variables".'
        : `Did you mean "${meant}"? Its value shows in the log until sensitive-variables lists it.`
    made.push({
      level: 'warning',
      message: `sensitive-variables in ${inputs.template} lists "${name}", which the template does not declare: Packer hides nothing by it, and says nothing. ${fix}`,
      title: 'Undeclared sensitive variable',
      ...(place && { file: workspaceRelative(path, inputs.workspace), line: place.line, column: place.column })
    })
  }
  return annotateEach(made, laterWarnings)
}

/**
 * Where `at` is in the JSON file at `path`: undefined when the file cannot be read. Files are
 * read with positions only once there is something to place, each once; the template not again.
 */
function jsonPlacer(jsonTemplate?: JsonTemplateSource): (path: string, at: JsonPath) => Promise<JsonPosition | undefined> {
  const textOf = fileTexts(jsonTemplate)
  return async (path, at) => {
    const [placing, text] = await Promise.all([import('../common/json-place.js').catch(() => undefined), textOf(path)])
    return placing && text !== undefined ? placing.jsonPlace(text, at) : undefined
  }
}

/** Room left for Packer's warnings and the job's own, which come later. */
const laterWarnings = { warning: 3 }

/** `builders[0].ami_name`, as a path into a JSON document reads. */
function shownPath(path: JsonPath): string {
  return path.map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`)).join('').slice(1)
}
