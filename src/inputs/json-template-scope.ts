// What a JSON template's `{{ }}` may read where it is written. Packer 1.6.6 gives env only to a
// variable's default ("env vars are not allowed here" anywhere else), and template data (`{{ .X }}`)
// only where a setting documents it. packer validate accepts much of this, and the build fails
// once the AMI is made ({{env}} or an unknown field in tags, or in a windows-shell's execute_command),
// or runs the text "<no value>" (a field in a shell-local's inline, in a powershell's
// execute_command). Each is refused here, on the string, before Packer is installed.
import { isRecord } from '../common/values.js'
import { connectionAttributes } from './connecting-provisioners.js'
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
  /** A provisioner's or post-processor's own only and except, as written: they may leave it out of every build the run has. */
  onlyExcept?: { only: unknown; except: unknown }
  /** The build a provisioner's override gives the string to: in no other build is it read. */
  override?: string
  /** The names an except entry skips a post-processor by: its own (its type when unnamed) and those before it in its chain. */
  skippedBy?: string[]
  /** The string is a key (of tags), not a value: the error is placed on the key. */
  key?: boolean
}

/** The data Packer 1.6.6's amazon builders give their tags and ami_description (their BuildInfoTemplate), as written in a template. */
const buildInfo = ['BuildRegion', 'SourceAMI', 'SourceAMICreationDate', 'SourceAMIName', 'SourceAMIOwner', 'SourceAMIOwnerName', 'SourceAMITags']

// Packer 1.6.6 tags the spot request as it asks for the instance: the build fails after the key
// pair and security group are made, and Packer crashes as it cleans up ("interface conversion").
const spotTagged = {
  spot_tags: 'as Packer asks for the spot instance, and Packer then crashes as it cleans up'
}

const amiTagged = {
  tags: 'once the AMI is made, as Packer tags it',
  snapshot_tags: 'once the AMI is made, as Packer tags its snapshots',
  // Packer's step halts without marking the build failed: its cleanup deregisters the AMI, and the build ends as a success.
  ami_description:
    'once the AMI is made, as Packer describes it: Packer deregisters the AMI, and yet ends the build as a success, naming the AMI it deregistered'
}
const instanceTagged = {
  run_tags: 'once the instance is launched, as Packer tags it',
  run_volume_tags: 'once the instance is launched, as Packer tags its volumes'
}

/**
 * The settings of each amazon builder that Packer renders with buildInfo as the build runs (each
 * left out of what it renders when it reads the template: packer validate accepts any field
 * there), and when a field it does not have fails the build. Measured with Packer 1.6.6 for
 * amazon-ebs, amazon-ebssurrogate and amazon-ebsvolume; amazon-instance and amazon-chroot, which
 * cannot run here, take the same steps in its source.
 */
const renderedWithBuildInfo: Record<string, Record<string, string>> = {
  'amazon-ebs': { ...amiTagged, ...instanceTagged, ...spotTagged },
  'amazon-ebssurrogate': { ...amiTagged, ...instanceTagged, ...spotTagged },
  'amazon-instance': { ...amiTagged, run_tags: instanceTagged.run_tags, ...spotTagged },
  'amazon-chroot': { ...amiTagged, root_volume_tags: 'as Packer creates the root volume, before the AMI is made' },
  'amazon-ebsvolume': { ...instanceTagged, ...spotTagged }
}

/** The builders whose ami_name Packer renders with no data and then checks as a name (amazon-ebsvolume makes no AMI). */
const namedAmis = new Set(['amazon-ebs', 'amazon-ebssurrogate', 'amazon-instance', 'amazon-chroot'])

/**
 * The names an amazon build gives a provisioner's and post-processor's data as it runs (Packer
 * 1.6.6's BuilderDataCommonKeys, the amazon builders' generated data, amazon-chroot's Device and
 * MountPath). Whether a build has each is not told here: a build that connects no communicator lacks
 * Host and the rest of the connection's (connectionAttributes; provisionerProblems reads a shell-local's).
 */
export const buildData = [
  'ID', 'Host', 'Port', 'User', 'Password', 'ConnType', 'PackerRunUUID', 'PackerHTTPPort', 'PackerHTTPIP', 'PackerHTTPAddr', 'SSHPublicKey',
  'SSHPrivateKey', 'WinRMPassword', 'BuildRegion', 'SourceAMI', 'SourceAMICreationDate', 'SourceAMIName', 'SourceAMIOwner', 'SourceAMIOwnerName',
  'Device', 'MountPath'
]

/** How a provisioner or post-processor runs its commands, and what Packer 1.6.6 gives the settings it renders. */
export interface CommandSettings {
  /** The settings Packer renders as it runs a command, with commandData (and the build's data, where buildDataInCommands). */
  commands: string[]
  commandData: string[]
  /** Whether the commands have the build's data (buildData) too: not where Packer renders them with a struct of its own. */
  buildDataInCommands: boolean
  /** What Packer does with a field the commands do not have, `when`: the words after "packer validate accepts it, but". */
  missingField: (field: string, when: string) => string
  /** The settings Packer renders as it reads the template, before there is any data, and what a field there does. */
  rendered: Record<string, string>
  /** What runs the placeholder text Packer puts there for a field of buildData, where that says more. */
  placeholderRunBy?: string
  /** The settings Packer reads (a file to upload) as it reads the template: {{ build }} gives them no value either. */
  readAtValidate?: string[]
}

const shellRunsNoValue = (_field: string, when: string): string =>
  `Packer runs the command with the text "<no value>" in its place (unquoted, a shell reads its < and > as redirections and fails), ${when}`

/**
 * What the commands of a shell, shell-local, powershell or windows-shell have besides buildData,
 * and the settings Packer renders as it reads the template, before there is any data: a field of
 * buildData there becomes Packer's placeholder text, any other "<no value>" (WinRMPassword it
 * passes on). Each measured with Packer 1.6.6: shell over SSH, shell-local on the runner,
 * powershell and windows-shell with communicator "none", which fails only at their upload.
 * Powershell renders its commands with the build's data and its own, as shell does (a field of
 * neither is "<no value>"); windows-shell with its own alone (Vars and Path), so that any other
 * field, the build's too, fails the build. A file provisioner runs no command: its source and
 * destination are rendered as it reads the template (file over SSH too); its source is read then
 * (`readAtValidate`), so that not even {{ build }} gives it a value.
 */
export const shellSettings: Record<string, CommandSettings> = {
  'provisioner shell': {
    commands: ['execute_command'],
    commandData: ['Vars', 'EnvVarFile', 'Path'],
    buildDataInCommands: true,
    missingField: shellRunsNoValue,
    rendered: {
      inline: 'it runs the text "<no value>" there (a shell reads its < and > as redirections)',
      environment_vars: 'the variable is set to the text "<no value>"',
      inline_shebang: 'the script starts "#!… <no value>", and the build fails as its shell refuses the words ("Illegal option")',
      remote_folder:
        'the script is uploaded to a folder named so, which is not there: the build fails once the upload has been retried for start_retry_timeout (5 minutes)',
      remote_path: 'the script is uploaded as a file named so, and the command that runs it, unquoted, fails'
    },
    placeholderRunBy: 'a shell runs its `build` as a command'
  },
  'provisioner shell-local': {
    commands: ['execute_command'],
    commandData: ['Vars', 'Script', 'Command'],
    buildDataInCommands: true,
    missingField: shellRunsNoValue,
    rendered: {
      inline: 'it runs the text "<no value>" there (a shell reads its < and > as redirections)',
      environment_vars: 'the variable is set to the text "<no value>"',
      inline_shebang: 'the script starts "#!… <no value>", and the build fails as its shell refuses the words ("Illegal option")'
    },
    placeholderRunBy: 'a shell runs its `build` as a command'
  },
  'post-processor shell-local': {
    commands: ['execute_command'],
    commandData: ['Vars', 'Script', 'Command'],
    buildDataInCommands: true,
    missingField: shellRunsNoValue,
    rendered: {
      inline: 'it runs the text "<no value>" there (a shell reads its < and > as redirections)',
      environment_vars: 'the variable is set to the text "<no value>"'
    },
    placeholderRunBy: 'a shell runs its `build` as a command'
  },
  'provisioner powershell': {
    commands: ['execute_command', 'elevated_execute_command'],
    commandData: ['Vars', 'Path'],
    buildDataInCommands: true,
    missingField: (_field, when) => `Packer runs the command on the instance with the text "<no value>" in its place, ${when}`,
    rendered: {
      inline: 'the script holds the text "<no value>" there',
      environment_vars: 'the variable is set to the text "<no value>"'
    }
  },
  'provisioner windows-shell': {
    commands: ['execute_command'],
    commandData: ['Vars', 'Path'],
    buildDataInCommands: false,
    missingField: (field, when) => `the build fails ${when} ("can't evaluate field ${field} in type *shell.ExecuteCommandTemplate")`,
    rendered: {
      inline: 'the script holds the text "<no value>" there (cmd reads its < and > as redirections)',
      environment_vars: 'the variable is set to the text "<no value>"'
    }
  },
  'provisioner file': {
    commands: [],
    commandData: [],
    buildDataInCommands: false,
    missingField: shellRunsNoValue,
    rendered: {
      source: 'packer validate refuses it, as no file is named so ("Bad source \'<no value>\'")',
      sources: 'packer validate refuses it, as no file is named so ("Bad source \'<no value>\'")',
      destination: 'the build uploads the file to a path with the text "<no value>" in it, on the instance, and succeeds'
    },
    placeholderRunBy: 'the build uploads the file to a path named so on the instance, and succeeds',
    readAtValidate: ['source', 'sources']
  }
}

const buildInfoList = `${buildInfo.slice(0, -1).map((field) => `.${field}`).join(', ')} and .${buildInfo.at(-1)}`

/**
 * The strings of a JSON template's builders, provisioners and post-processors that call env, which
 * Packer allows only in a variable's default, and those that read template data Packer does not
 * give there: an amazon builder's ami_name, tags and ami_description, a shell, shell-local,
 * powershell or windows-shell's execute_command, inline, environment_vars, a file's source and
 * destination..., and those of a provisioner's override as its own; a tag's key as its value.
 * Comments (`_` keys), only and except are not read as templates.
 */
export function jsonScopeMistakes(template: unknown): JsonScopeMistake[] {
  if (!isRecord(template)) return []
  const found: JsonScopeMistake[] = []
  const envDefaults = variablesOfEnv(template.variables)
  for (const { block, path, of, type } of jsonTemplateBlocks(template)) {
    const builder = path[0] === 'builders' ? (path[1] as number) : undefined
    const kind = path[0] === 'builders' ? 'builder' : path[0] === 'provisioners' ? 'provisioner' : 'post-processor'
    const place =
      builder !== undefined
        ? { builder }
        : { onlyExcept: { only: block.only, except: block.except }, ...(kind === 'post-processor' ? { skippedBy: skippedBy(template, path) } : {}) }
    const rendered = builder === undefined ? undefined : withBuildInfo(type, block)
    for (const { name, value, at: settingAt, override } of settingsOf(block, path, kind)) {
      const inOverride = override === undefined ? '' : ` in the override for ${JSON.stringify(override)}`
      const checked = (text: string, at: JsonPath, setting: string, key?: boolean): void => {
        const where = { at, setting: setting + inOverride, of, ...place, ...(override === undefined ? {} : { override }), ...(key ? { key } : {}) }
        const [call] = templateCalls(text, 'env')
        if (call) {
          found.push({ ...where, mistake: envMistake(text, call.name, call.action, envDefaults) })
          return
        }
        const [mistake] = [...templateFields(text).flatMap((read) => fieldMistake(kind, type, name, read, rendered) ?? []), ...buildCallMistakes(name, text, rendered)]
        if (mistake) found.push({ ...where, mistake })
      }
      // Packer renders a tag's key as it renders its value (TagMap.EC2Tags).
      if (rendered?.[name] !== undefined && isRecord(value)) {
        for (const key of Object.keys(value)) if (!key.startsWith('_')) checked(key, [...settingAt, key], `the key ${JSON.stringify(key)} in ${name}`, true)
      }
      for (const { text, at, last } of strings(value, settingAt, name)) checked(text, at, last === name ? name : `${last} in ${name}`)
    }
  }
  return found
}

/**
 * A block's settings that Packer reads as templates, with where each is: a provisioner's override
 * (`"override": {"amazon-ebs": {"inline": […]}}`) gives its settings to that build in place of
 * the provisioner's own, and Packer renders them as it renders those.
 */
function settingsOf(block: Record<string, unknown>, path: JsonPath, kind: string): Array<{ name: string; value: unknown; at: JsonPath; override?: string }> {
  const own = Object.entries(block)
    .filter(([name]) => name !== 'type' && name !== 'only' && name !== 'except' && !(kind === 'provisioner' && name === 'override'))
    .map(([name, value]) => ({ name, value, at: [...path, name] }))
  if (kind !== 'provisioner' || !isRecord(block.override)) return own
  const overridden = Object.entries(block.override).flatMap(([build, settings]) =>
    isRecord(settings) && !build.startsWith('_')
      ? Object.entries(settings).map(([name, value]) => ({ name, value, at: [...path, 'override', build, name], override: build }))
      : []
  )
  return [...own, ...overridden]
}

/**
 * The settings of an amazon builder (or source) `type` that Packer renders with buildInfo, and
 * what a field they do not have does: spot_tags only when spot_price asks for a spot instance
 * (else validate refuses them).
 */
export function withBuildInfo(type: string, block: Record<string, unknown>): Record<string, string> | undefined {
  const rendered = renderedWithBuildInfo[type]
  if (rendered === undefined || (typeof block.spot_price === 'string' && block.spot_price !== '')) return rendered
  return Object.fromEntries(Object.entries(rendered).filter(([setting]) => setting !== 'spot_tags'))
}

/**
 * The names an except entry skips the post-processor at `path` by (Packer 1.6.6's -except): its
 * own, its type when it has none, and those of the post-processors before it in its chain, as
 * Packer skips the rest of a chain from the one it excepts.
 */
function skippedBy(template: Record<string, unknown>, path: JsonPath): string[] {
  const entry = (template['post-processors'] as unknown[])[path[1] as number]
  const chain = Array.isArray(entry) ? entry.slice(0, (path[2] as number) + 1) : [entry]
  return chain.flatMap((block) => {
    if (!isRecord(block)) return []
    const name = typeof block.name === 'string' && block.name !== '' ? block.name : block.type
    return typeof name === 'string' ? [name] : []
  })
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

/**
 * What is wrong with `setting`, which Packer renders with buildInfo (`rendered`), where `text`
 * calls build: Packer 1.6.6 gives its values to provisioners and post-processors alone, so
 * validate accepts it and the build fails there ("will not be passed into your plugin"), in a JSON
 * template and in an HCL2 one's source.
 */
export function buildCallMistakes(setting: string, text: string, rendered: Record<string, string> | undefined): string[] {
  const whenBuildInfo = rendered?.[setting]
  if (whenBuildInfo === undefined) return []
  return templateCalls(text, 'build').map(({ name, action }) => {
    const instead = buildInfo.includes(name) ? `Write {{ .${name} }}.` : `Its data are ${buildInfoList}.`
    return (
      `reads ${action}, which Packer gives provisioners and post-processors alone: packer validate accepts it, but the build fails ${whenBuildInfo} ` +
      `("the given variable ${name} will not be passed into your plugin"). ${instead}`
    )
  })
}

/** What is wrong with `setting` of a `kind` of `type` that reads `field` of the template's data, where Packer 1.6.6 is known not to give it. */
export function fieldMistake(
  kind: string,
  type: string,
  setting: string,
  { field, action, words }: TemplateField,
  rendered: Record<string, string> | undefined
): string | undefined {
  if (kind === 'builder' && namedAmis.has(type) && setting === 'ami_name') {
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
  const whenBuildInfo = rendered?.[setting]
  if (whenBuildInfo !== undefined && !buildInfo.includes(field)) {
    return (
      `reads ${action}, template data Packer does not give there: packer validate accepts it, but the build fails ${whenBuildInfo} ` +
      `("can't evaluate field ${field}"). Its data are ${buildInfoList}.`
    )
  }
  const shell = kind === 'builder' ? undefined : shellSettings[`${kind} ${type}`]
  if (shell === undefined) return undefined
  const commandData = shell.commandData.map((name) => `{{.${name}}}`).join(', ')
  const placeholder = `"Build_${field}. To set this dynamically in the Packer template, you must use the \`build\` function"`
  if (shell.commands.includes(setting) && !shell.commandData.includes(field) && !(shell.buildDataInCommands && buildData.includes(field))) {
    const when = kind === 'provisioner' ? 'once Packer has launched the instance' : 'once Packer has made the AMIs'
    const data = shell.buildDataInCommands
      ? `Its data are ${commandData}, and the build's: {{.SourceAMI}}, {{.BuildRegion}}, {{.ID}}, {{.Host}}...`
      : `Its data are ${commandData} alone, not the build's ({{.SourceAMI}}, {{.ID}}...).`
    return `reads ${action}, template data Packer does not give ${setting}: packer validate accepts it, but ${shell.missingField(field, when)}. ${data}`
  }
  const effect = Object.hasOwn(shell.rendered, setting) ? shell.rendered[setting] : undefined
  if (effect === undefined || field === 'WinRMPassword') return undefined
  if (buildData.includes(field) && shell.readAtValidate?.includes(setting)) {
    return (
      `reads ${action}, which Packer has only once the build runs: it renders ${setting} as it reads the template, puts there the text ${placeholder}, ` +
      'and packer validate refuses that, as no file is named so. Packer reads the file before the build, even through {{ build }}: write its path itself, ' +
      'or a variable ({{user `name`}}).'
    )
  }
  if (buildData.includes(field)) {
    return (
      `reads ${action}, which Packer has only once the build runs: it renders ${setting} as it reads the template, and puts there the text ` +
      `${placeholder}${shell.placeholderRunBy === undefined ? '' : ` (${shell.placeholderRunBy})`}. Write {{ build \`${field}\` }}` +
      // The communicator gives it: a build whose communicator is "none" has no value for it either (build-variables.ts).
      (connectionAttributes.includes(field) ? `, in a build that connects to its instance: one whose communicator is "none" has no ${field}.` : '.')
    )
  }
  const notGiven = shell.commands.length === 0 ? '.' : `; the data of ${shell.commands.join(' and ')} (${commandData}) is not given to ${setting}.`
  return `reads ${action}, but Packer renders ${setting} with no template data: ${effect}. Write the value itself, or a variable ({{user \`name\`}})${notGiven}`
}
