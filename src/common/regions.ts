// The shape of an AWS region's name, for the aws-region input and the manifest's artifact IDs.

/**
 * An AWS region's name, unanchored: lower-case parts joined by hyphens, the last a number. The
 * first part is not always two letters: us-gov-west-1, cn-north-1, but also the European
 * Sovereign Cloud's eusc-de-east-1.
 */
export const regionName = '[a-z]{2,}(?:-[a-z]+)+-\\d+'

/**
 * The region whose ARNs have the longest beginning (`arn:PARTITION:SERVICE:REGION:`) of those the
 * AWS SDK knows (its endpoint rules' partitions and their regions): what bounds a name whose
 * length is counted with its ARN's, where the region is only known once Packer has built. A
 * test checks it against the SDK's list.
 */
export const longestArnRegion = { partition: 'aws-iso-f', region: 'us-isof-south-1' } as const

/**
 * The environment as Packer has it, for what a template reads of it (`{{env `AWS_REGION`}}`,
 * env("AWS_REGION")): every Packer command is given the home region as AWS_REGION
 * (packerEnvironment), whatever the step's AWS_REGION is, or where the step sets only
 * AWS_DEFAULT_REGION or the aws-region input.
 */
export function withHomeRegion<Env extends Record<string, string | undefined>>(env: Env, homeRegion: string | undefined): Env {
  return homeRegion === undefined ? env : { ...env, AWS_REGION: homeRegion }
}
