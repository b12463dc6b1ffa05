// The volume_type of an Amazon builder's block device mappings, checked against the EBS volume
// types EC2 knows. Packer passes it on as written, and EC2 refuses any other
// (InvalidParameterValue) only once the build has started: as it launches the instance for
// launch_block_device_mappings and ebs_volumes, or as it registers the AMI, after the whole
// build, for ami_block_device_mappings.
import { isRecord } from '../common/values.js'
import type { InputProblem } from './reader.js'

/** EC2's EBS volume types, as its API (and the SDK's VolumeType) lists them. */
export const volumeTypes = ['gp2', 'gp3', 'io1', 'io2', 'sc1', 'st1', 'standard']

/** The settings of Amazon builders that hold block device mappings, each with a volume_type. */
export const deviceMappingSettings = ['launch_block_device_mappings', 'ami_block_device_mappings', 'ebs_volumes']

/**
 * What is wrong with `value` as the volume_type of `setting`: undefined when it is a type EC2
 * knows, empty, or a value only Packer works out; else what EC2 would do, and the types it knows.
 * Empty is no type at all: Packer (1.6.6 and the Amazon plugin since) leaves an empty volume_type
 * out of the mapping, and EC2 gives the volume its default type, as a variable whose default is
 * "" often does.
 */
export function volumeTypeMistake(setting: string, value: string): string | undefined {
  if (value === '' || value.includes('{{') || value.includes('${') || volumeTypes.includes(value)) return undefined
  const meant = volumeTypes.find((type) => type === value.trim().toLowerCase())
  const when = setting === 'ami_block_device_mappings' ? 'as it registers the AMI, after the whole build' : 'once the build has started'
  return (
    `has volume_type ${JSON.stringify(value)}, which is no EBS volume type` +
    (meant === undefined ? ` (EC2's are ${volumeTypes.join(', ')}).` : `: did you mean ${JSON.stringify(meant)}?`) +
    ` Packer passes it on as written, and EC2 refuses it (InvalidParameterValue) only ${when}.`
  )
}

/**
 * Each built Amazon builder of a JSON template whose block device mappings have a volume_type
 * volumeTypeMistake refuses: on that volume_type. `built` says whether Packer builds the
 * builder of that index with the inputs only and except.
 */
export function jsonVolumeTypeProblems(template: unknown, shown: string, path: string, built: (index: number) => boolean): InputProblem[] {
  const builders = (template as { builders?: unknown } | null)?.builders
  if (!Array.isArray(builders)) return []
  return builders.flatMap((builder: unknown, index): InputProblem[] => {
    if (!isRecord(builder) || typeof builder.type !== 'string' || !builder.type.startsWith('amazon-') || !built(index)) return []
    const shownBuilder = `builder "${typeof builder.name === 'string' && builder.name !== '' ? builder.name : builder.type}"`
    return deviceMappingSettings.flatMap((setting) => {
      const mappings = builder[setting]
      return (Array.isArray(mappings) ? mappings : []).flatMap((mapping: unknown, entry): InputProblem[] => {
        const value = isRecord(mapping) ? mapping.volume_type : undefined
        const mistake = typeof value === 'string' ? volumeTypeMistake(setting, value) : undefined
        if (mistake === undefined) return []
        const at = ['builders', index, setting, entry, 'volume_type']
        return [{ message: `template: ${shown}: ${setting} of ${shownBuilder} ${mistake}`, location: { file: shown, value: { path, at } } }]
      })
    })
  })
}
