// AWS credentials that expire while the run goes on: a session from
// aws-actions/configure-aws-credentials lasts one hour unless role-duration-seconds says otherwise,
// and its keys, exported as environment variables, are static: nothing renews them. Packer's
// lines and the action's own AWS errors are read for it here, in one place.

/**
 * What AWS answers a call signed with credentials that have expired: EC2 says RequestExpired
 * ("Request has expired."; the AWS SDK for Go lists it among its expired credentials' codes, "EC2
 * only"), the Query and JSON APIs of IAM, STS and SSM ExpiredToken and ExpiredTokenException
 * ("The security token included in the request is expired"). None heals by asking again.
 */
export const expiredCredentialCodes = ['RequestExpired', 'ExpiredToken', 'ExpiredTokenException']

const saidInText = new RegExp(`\\b(?:${expiredCredentialCodes.join('|')})\\b`)

/** Whether words said of an AWS error (Packer's `…: RequestExpired: Request has expired.`, the action's `RequestExpired — …`) tell of it. */
export function saysCredentialsExpired(text: string): boolean {
  return saidInText.test(text)
}

/**
 * What happened and what to change, for a step that had run `ms` when it found out. EC2 also
 * answers RequestExpired to a call whose clock is over 15 minutes off, which a runner's seldom is.
 */
export function credentialsExpiredText(ms: number): string {
  return (
    `The AWS credentials expired during the run (the step had run for about ${Math.max(1, Math.round(ms / 60_000))} min): ` +
    'AWS refused every call made with them from then on (RequestExpired, ExpiredToken), and asking again does not help. ' +
    'A session from aws-actions/configure-aws-credentials lasts one hour unless role-duration-seconds says otherwise: ' +
    "give it more time than the build takes (role-duration-seconds, up to the role's MaxSessionDuration, at most 12 hours), " +
    "or use credentials that renew themselves, as a self-hosted runner's instance role does (the action and Packer both renew those). " +
    "(EC2 also answers RequestExpired when the runner's clock is over 15 minutes off.)"
  )
}

/** What Packer announced and did not remove (TemporaryResources' members), for removalCommands. */
export interface PackerLeftovers {
  instanceIds: string[]
  images: string[]
  securityGroups: string[]
  keyPairs: string[]
}

/**
 * The regions the run's Amazon builds launch their instances in, each once, as the template tells
 * them before the build (AmiBuild.buildRegion); `unknown` where a build's is one only Packer works
 * out, or the builds are not known. What Packer announced is merged over the builds: it is in one
 * of these.
 */
export interface BuildRegions {
  regions: string[]
  unknown?: true
}

/**
 * Where what Packer left is, for removalCommands: the one region every build launches in, where
 * it is known; else `REGION`, with words that name the regions it may be in, never one of them as
 * the place (an instance looked for in the wrong region is InvalidInstanceID.NotFound).
 */
export function whereLeft(builds: BuildRegions | undefined): { region: string; where: string } {
  const regions = builds?.regions ?? []
  const [only] = regions
  if (regions.length === 1 && builds?.unknown !== true) return { region: only, where: `in ${only}` }
  const named = regions.length === 0 ? '' : builds?.unknown ? `${regions.join(', ')}, or one only Packer works out; ` : `${listed(regions)}; `
  return { region: 'REGION', where: `in the region its build launched in (${named}REGION in the commands)` }
}

function listed(regions: string[]): string {
  return regions.length < 2 ? regions.join('') : `${regions.slice(0, -1).join(', ')} or ${regions.at(-1)}`
}

/** The AWS CLI command that removes each thing Packer left in `region`, to run with credentials that work. */
export function removalCommands({ instanceIds, images, securityGroups, keyPairs }: PackerLeftovers, region: string): string[] {
  return [
    ...instanceIds.map((id) => `aws ec2 terminate-instances --region ${region} --instance-ids ${id}`),
    ...images.map((id) => `aws ec2 deregister-image --region ${region} --image-id ${id} --delete-associated-snapshots`),
    // By its ID: a name alone names a group only in the default VPC.
    ...securityGroups.map(
      (name) =>
        `aws ec2 delete-security-group --region ${region} --group-id $(aws ec2 describe-security-groups --region ${region} ` +
        `--filters Name=group-name,Values=${name} --query 'SecurityGroups[0].GroupId' --output text)`
    ),
    ...keyPairs.map((name) => `aws ec2 delete-key-pair --region ${region} --key-name ${name}`)
  ]
}
