// What an HCL2 template's provisioners and post-processors read of Go's template data
// (`{{ .Path }}`) where Packer does not give it. HCL2 fills in its own `${ … }` as it reads the
// template; the text left is rendered as a JSON template's is, with the same data: a shell's
// execute_command as it runs (its own data and the build's), its inline, environment_vars… as
// Packer prepares it, with none. There, in HCL2, any field becomes "<no value>", the build's too
// (a JSON template gets a placeholder sentence): the build's data is `${build.X}` instead.
// Measured with Packer 1.6.6: shell-local as a provisioner and a post-processor of an amazon-ebs
// build on the loopback endpoint, windows-shell and powershell with communicator "none".
//
// An Amazon source's tags (their keys too, and the tag blocks), run_tags, run_volume_tags,
// snapshot_tags, spot_tags and ami_description are rendered as a JSON builder's are, with the
// source AMI's data, as the build runs: validate accepts any field there, and the build fails once
// the instance or the AMI is made (ami_description: Packer deregisters the AMI and ends the build
// as a success). {{ build `X` }} fails there too, and ${build.X} at validate. ami_name is rendered
// with no data, and validate refuses the "<no value>" that any field becomes (clean_resource_name
// is not a function there): left to Packer. Measured with Packer 1.6.6's amazon-ebs on the
// loopback endpoint.
import { connectionAttributes } from './connecting-provisioners.js'
import { buildCallMistakes, buildData, fieldMistake, shellSettings, withBuildInfo } from './json-template-scope.js'
import type { StringPart } from './hcl-parser.js'
import { templateFields } from './template.js'

/**
 * What is wrong with `setting` of a provisioner or post-processor of `type` whose text, once
 * HCL2 has filled in its `${ … }` (`parts`), reads a field of the template's data that Packer
 * 1.6.6 does not give there: the words after the setting's name; undefined when it reads none.
 */
export function hclTemplateDataMistake(block: 'provisioner' | 'post-processor', type: string, setting: string, parts: StringPart[]): string | undefined {
  const shell = shellSettings[`${block} ${type}`]
  // A file provisioner runs no command; its paths in an HCL2 template were not measured: left to Packer.
  if (shell === undefined || shell.commands.length === 0) return undefined
  const isCommand = shell.commands.includes(setting)
  const effect = Object.hasOwn(shell.rendered, setting) ? shell.rendered[setting] : undefined
  if (!isCommand && effect === undefined) return undefined
  // Only the text written as such is Go's to render here: an interpolation's value is left to Packer.
  const text = parts.map((part) => ('literal' in part ? part.literal : ' ')).join('')
  for (const read of templateFields(text)) {
    // A command is rendered as it runs, with the same data as in a JSON template: the same words.
    if (isCommand) {
      const mistake = fieldMistake(block, type, setting, read, undefined)
      if (mistake !== undefined) return mistake
      continue
    }
    const { field, action } = read
    // A WinRM build may give it where Packer passes it on, as it does in a JSON template.
    if (field === 'WinRMPassword') continue
    const fix = buildData.includes(field)
      ? `An HCL2 template has the build's data as build.${field}: write \${build.${field}}${connectionAttributes.includes(field) ? `, in a build that connects to its instance: one whose communicator is "none" has no ${field}` : ''}.`
      : `Write the value itself, or a variable (\${var.name}); the data of ${shell.commands.join(' and ')} (${shell.commandData.map((name) => `{{.${name}}}`).join(', ')}) is not given to ${setting}.`
    return `reads ${action}, but Packer renders ${setting} with no template data: ${effect}. ${fix}`
  }
  return undefined
}

/**
 * What is wrong with `setting` (a map setting, or the map a tag block adds to: tags for tag) of
 * an Amazon source of `type` (`settings`, for its spot_price) whose text, once HCL2 has filled in
 * its `${ … }` (`parts`), reads data Packer 1.6.6 does not give there as the build runs: the words
 * after the setting's name; undefined when it reads none.
 */
export function hclSourceDataMistake(type: string, setting: string, settings: Record<string, unknown>, parts: StringPart[]): string | undefined {
  const rendered = withBuildInfo(type, settings)
  if (rendered?.[setting] === undefined) return undefined
  // Only the text written as such is Go's to render here: an interpolation's value is left to Packer.
  const text = parts.map((part) => ('literal' in part ? part.literal : ' ')).join('')
  const [mistake] = [...templateFields(text).flatMap((read) => fieldMistake('builder', type, setting, read, rendered) ?? []), ...buildCallMistakes(setting, text, rendered)]
  return mistake
}
