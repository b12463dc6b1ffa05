// The filter names of an Amazon builder's source_ami_filter, checked against those EC2's
// DescribeImages knows. Packer passes them on as written, and EC2 refuses a name it does not
// know (InvalidParameterValue: The filter '…' is invalid) only once the build has started. EC2
// adds filters now and then, so only a name a small edit from a known one (near-names.ts:
// `virtualisation-type`, `root_device_type`, `Name`) is refused here; any other is EC2's to judge.
import { isRecord } from '../common/values.js'
import { meantName } from './near-names.js'
import type { InputProblem } from './reader.js'

/** DescribeImages' filter names, as its API reference lists them, besides `tag:KEY`. */
export const imageFilterNames = [
  'architecture',
  'block-device-mapping.delete-on-termination',
  'block-device-mapping.device-name',
  'block-device-mapping.encrypted',
  'block-device-mapping.snapshot-id',
  'block-device-mapping.volume-size',
  'block-device-mapping.volume-type',
  'creation-date',
  'description',
  'ena-support',
  'free-tier-eligible',
  'hypervisor',
  'image-allowed',
  'image-id',
  'image-type',
  'image-watermark.source-image-creation-time',
  'image-watermark.source-image-id',
  'image-watermark.source-image-region',
  'image-watermark.watermark-creation-time',
  'image-watermark.watermark-key',
  'is-public',
  'kernel-id',
  'manifest-location',
  'name',
  'owner-alias',
  'owner-id',
  'platform',
  'product-code',
  'product-code.type',
  'public-ssm-parameter-name',
  'ramdisk-id',
  'root-device-name',
  'root-device-type',
  'scan-result.critical-fix-available-since',
  'scan-result.finding-scan-date',
  'scan-result.high-fix-available-since',
  'scan-result.highest-finding-severity-label',
  'scan-result.informational-fix-available-since',
  'scan-result.low-fix-available-since',
  'scan-result.medium-fix-available-since',
  'source-image-id',
  'source-image-region',
  'source-instance-id',
  'sriov-net-support',
  'state',
  'state-reason-code',
  'state-reason-message',
  'tag-key',
  'virtualization-type'
]

/**
 * What is wrong with `name` as a filter of source_ami_filter: undefined unless it is no name
 * DescribeImages knows and a small edit from one that it does (`tag:` names, and names only
 * Packer works out, are left alone); else what EC2 would do, and the name meant.
 */
export function imageFilterMistake(name: string): string | undefined {
  if (name.startsWith('tag:') || name.includes('{{') || name.includes('${') || imageFilterNames.includes(name)) return undefined
  const meant = meantName(name, imageFilterNames)
  if (meant === undefined) return undefined
  return (
    `filters on ${JSON.stringify(name)}, which is no filter of EC2's DescribeImages: did you mean ${JSON.stringify(meant)}? ` +
    `Packer passes the name on as written, and EC2 refuses it (InvalidParameterValue: The filter '${name}' is invalid) ` +
    'only once the build has started.'
  )
}

/**
 * Each built Amazon builder of a JSON template whose source_ami_filter has a filter name
 * imageFilterMistake refuses: on that name. `built` says whether Packer builds the builder of
 * that index with the inputs only and except.
 */
export function jsonImageFilterProblems(template: unknown, shown: string, path: string, built: (index: number) => boolean): InputProblem[] {
  const builders = (template as { builders?: unknown } | null)?.builders
  if (!Array.isArray(builders)) return []
  return builders.flatMap((builder: unknown, index): InputProblem[] => {
    const { type, name, source_ami_filter: filter } = (builder ?? {}) as { type?: unknown; name?: unknown; source_ami_filter?: unknown }
    const filters = isRecord(filter) ? filter.filters : undefined
    if (typeof type !== 'string' || !type.startsWith('amazon-') || !built(index) || !isRecord(filters)) return []
    const shownBuilder = `builder "${typeof name === 'string' && name !== '' ? name : type}"`
    return Object.keys(filters).flatMap((key) => {
      const mistake = imageFilterMistake(key)
      if (mistake === undefined) return []
      const at = ['builders', index, 'source_ami_filter', 'filters', key]
      return [{ message: `template: ${shown}: source_ami_filter of ${shownBuilder} ${mistake}`, location: { file: shown, value: { path, at } } }]
    })
  })
}
