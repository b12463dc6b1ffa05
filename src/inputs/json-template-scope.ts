// What a JSON template's `{{ }}` may read where it is written. Packer 1.6.6 gives env only to a
// variable's default ("env vars are not allowed here" anywhere else), and template data (`{{ .X }}`)
// only where a setting documents it. packer validate accepts much of this, and the build fails
// once the AMI is made ({{env}} or an unknown field in tags), or runs the text "<no value>" (a
// field in a shell-local's inline). Each is refused here, on the string, before Packer is installed.
import { isRecord } from '../common/values.js'
import { envVariableName, jsonTemplateBlocks, strings } from './quoted-json-references.js'
import { templateCalls, templateFields, type JsonPath, type TemplateField } from './template.js'

/** A string of a JSON template that reads what Packer does not give where it is. */
export interface JsonScopeMistake {
  /** Where the string is. */
  at: JsonPath
  /** The setting, as the error names it: `ami_name`, `Name in tags`. */
  setting: string
  /** What it is a setting of: `builder "amazon-ebs"`, `provisioner "shell-local"`. */
  of: string
  /** The words after where it is. */
  mistake: string
  /** The index of the builder it is in, for a build that only/except leaves out; none in a provisioner or post-processor. */
  builder?: number
}

/** The data Packer 1.6.6's amazon-ebs gives its tags and ami_description (its BuildInfoTemplate), as written in a template. */
const buildInfo = ['BuildRegion', 'SourceAMI', 'SourceAMICreationDate', 'SourceAMIName', 'SourceAMIOwner', 'SourceAMIOwnerName', 'SourceAMITags']

/**
 * amazon-ebs's settings that Packer renders with buildInfo, and when a field it does not have
 * fails the build (each measured with Packer 1.6.6).
 */
const renderedWithBuildInfo: Record<string, string> = {
  tags: 'once the AMI is made, as Packer tags it',
  snapshot_tags: "once the AMI is made, as Packer tags its snapshots",
  ami_description: 'once the AMI is made, as Packer describes it',
  run_tags: 'once the instance is launched, as Packer tags it',
  run_volume_tags: "once the instance is launched, as Packer tags its volumes"
}

const buildInfoList = `${buildInfo.slice(0, -1).map((field) => `.${field}`).join(', ')} and .${buildInfo.at(-1)}`

/**
 * The strings of a JSON template's builders, provisioners and post-processors that call env, which
 * Packer allows only in a variable's default, and those of amazon-ebs's ami_name, its tags and
 * ami_description, and a shell-local provisioner's inline, that read template data Packer does not
 * give there. Comments (`_` keys), only and except are not read as templates.
 */
export function jsonScopeMistakes(template: unknown): JsonScopeMistake[] {
  if (!isRecord(template)) return []
  const found: JsonScopeMistake[] = []
  const envDefaults = variablesOfEnv(template.variables)
  for (const { block, path, of, type } of jsonTemplateBlocks(template)) {
    const builder = path[0] === 'builders' ? (path[1] as number) : undefined
    const place = builder === undefined ? {} : { builder }
    for (const [name, value] of Object.entries(block)) {
      if (name === 'type' || name === 'only' || name === 'except') continue
      for (const { text, at, last } of strings(value, [...path, name], name)) {
        const setting = last === name ? name : `${last} in ${name}`
        const [call] = templateCalls(text, 'env')
        if (call) {
          found.push({ at, setting, of, mistake: envMistake(text, call.name, call.action, envDefaults), ...place })
          continue
        }
        const [mistake] = templateFields(text).flatMap((read) => fieldMistake(type, builder !== undefined, name, read) ?? [])
        if (mistake) found.push({ at, setting, of, mistake, ...place })
      }
    }
  }
  return found
}

/** The template's variables whose default is only `{{env `NAME`}}`, by NAME. */
function variablesOfEnv(variables: unknown): Map<string, string> {
  const found = new Map<string, string>()
  if (!isRecord(variables)) return found
  for (const [name, text] of Object.entries(variables)) {
    if (typeof text !== 'string') continue
    const calls = templateCalls(text, 'env')
    if (calls.length === 1 && calls[0].action === text.trim() && !found.has(calls[0].name)) found.set(calls[0].name, name)
  }
  return found
}

function envMistake(text: string, env: string, action: string, envDefaults: Map<string, string>): string {
  const declared = envDefaults.get(env)
  const variable = declared ?? envVariableName(env)
  const write = JSON.stringify(text.replace(action, `{{user \`${variable}\`}}`))
  const fix =
    declared === undefined
      ? `Declare a variable such as ${JSON.stringify(variable)}: ${JSON.stringify(action)} and write ${write}.`
      : `Variable "${declared}" has it: write ${write}.`
  return (
    `calls env (${action}), which Packer allows only in a variable's default: it refuses it anywhere else ("env vars are not allowed here"), ` +
    `in tags and ami_description only once the AMI is made. ${fix}`
  )
}

/** What is wrong with `setting` of a block of `type` that reads `field` of the template's data, where Packer 1.6.6 is known not to give it. */
function fieldMistake(type: string, isBuilder: boolean, setting: string, { field, action, words }: TemplateField): string | undefined {
  if (isBuilder && type === 'amazon-ebs' && setting === 'ami_name') {
    // A filter that cleans the name leaves validate nothing to refuse: the name is the same on every run.
    const cleaner = words.find((word) => word === 'clean_resource_name' || word === 'clean_ami_name')
    const becomes = cleaner
      ? `${cleaner} turns that into one valid name, the same on every run: EC2 refuses it once an AMI has it (InvalidAMIName.Duplicate)`
      : 'packer validate refuses that as an AMI name (its error says which characters a name may hold)'
    return (
      `reads ${action}, but Packer renders ami_name before the build, with no template data: it becomes "<no value>", and ${becomes}. ` +
      `The source AMI's data (${buildInfoList}) is given to tags and ami_description; an AMI name may use {{timestamp}}, {{isotime}}, {{uuid}} or a variable.`
    )
  }
  if (isBuilder && type === 'amazon-ebs' && Object.hasOwn(renderedWithBuildInfo, setting) && !buildInfo.includes(field)) {
    return (
      `reads ${action}, template data Packer does not give there: packer validate accepts it, but the build fails ${renderedWithBuildInfo[setting]} ` +
      `("can't evaluate field ${field}"). Its data are ${buildInfoList}.`
    )
  }
  if (!isBuilder && type === 'shell-local' && setting === 'inline') {
    return (
      `reads ${action}, but Packer renders inline with no template data: it runs the text "<no value>" there (a shell reads its < and > ` +
      'as redirections). Write the value itself, or a variable ({{user `name`}}); the data of execute_command ({{.Vars}}, {{.Script}}) is not given to inline.'
    )
  }
  return undefined
}
