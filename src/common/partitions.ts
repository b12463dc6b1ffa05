// The partition of a region (aws, aws-cn, aws-us-gov, the isolated ones, the European Sovereign
// Cloud), by the pattern of its name: the AWS SDK's endpoint rules' own patterns (their
// `regionRegex`), which a test checks against the SDK's data, every region it lists included.
// Kept here rather than loaded from the SDK: the input checks of a template that copies its AMIs
// ask before the install, where loading the SDK's rules (some 130 KB) would delay every such run.

/** Each partition and the pattern of its regions' names, as the SDK's rules have them. */
export const partitionPatterns: ReadonlyArray<{ name: string; regions: RegExp }> = [
  { name: 'aws', regions: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/ },
  { name: 'aws-cn', regions: /^cn-\w+-\d+$/ },
  { name: 'aws-eusc', regions: /^eusc-(de)-\w+-\d+$/ },
  { name: 'aws-iso', regions: /^us-iso-\w+-\d+$/ },
  { name: 'aws-iso-b', regions: /^us-isob-\w+-\d+$/ },
  { name: 'aws-iso-e', regions: /^eu-isoe-\w+-\d+$/ },
  { name: 'aws-iso-f', regions: /^us-isof-\w+-\d+$/ },
  { name: 'aws-us-gov', regions: /^us-gov-\w+-\d+$/ }
]

/**
 * The partition of `region`, where its name tells it: undefined for a name of no partition's
 * pattern (a misspelt one, such as `cn-north1`), which the SDK would take for aws, its default.
 */
export function partitionOf(region: string): string | undefined {
  return partitionPatterns.find(({ regions }) => regions.test(region))?.name
}
