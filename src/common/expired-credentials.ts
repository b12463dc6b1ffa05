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
  /**
   * The region of the build that each name Packer's lines may give one goes by, where every build
   * that may go by it launches in that one region: what a build's line announced is there.
   */
  byBuild?: Record<string, string>
}

/**
 * Where each thing Packer left is (whereLeft), given the build whose line announced it
 * (`announcedBy`, RunRecord.announcedBy): the region of that build where it is known; else the
 * one region every build launches in, or `REGION` with the regions it may be in.
 */
export interface LeftIn {
  /** What is there, in the order the commands name them. */
  names: string[]
  region: string
  where: string
}

/** Each thing of `left` grouped by where it is (LeftIn), the groups in the order their first thing comes. */
export function whereEachLeft(left: PackerLeftovers, builds: BuildRegions | undefined, announcedBy: Record<string, string> = {}): LeftIn[] {
  const groups: LeftIn[] = []
  const anywhere = whereLeft(builds)
  for (const name of [...left.instanceIds, ...left.images, ...left.securityGroups, ...left.keyPairs]) {
    const region = regionOfBuild(builds, own(announcedBy, name))
    const place = region === undefined ? anywhere : { region, where: `in ${region}` }
    const group = groups.find((known) => known.where === place.where)
    if (group === undefined) groups.push({ names: [name], ...place })
    else if (!group.names.includes(name)) group.names.push(name)
  }
  return groups
}

/** `name, name (in R), name (in the region its build launched in (…))`: what `groups` name, each with where it is. */
export function leftInText(groups: LeftIn[]): string {
  return groups.map(({ names, where }) => `${names.join(', ')} (${where})`).join(', ')
}

/** The region the build Packer names `build` launches in, where the template tells it (BuildRegions.byBuild). */
export function regionOfBuild(builds: BuildRegions | undefined, build: string | undefined): string | undefined {
  return build === undefined || builds?.byBuild === undefined ? undefined : own(builds.byBuild, build)
}

/** A record's own value for `key`: a build may be named `constructor`. */
function own(record: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

/**
 * Where what Packer left is, for removalCommands, when no build is known to have left it: the one
 * region every build launches in, where it is known; else `REGION`, with words that name the
 * regions it may be in, never one of them as the place (an instance looked for in the wrong region
 * is InvalidInstanceID.NotFound).
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

/**
 * The AWS CLI command that removes each thing Packer left, in the region `groups` (whereEachLeft)
 * give it, to run with credentials that work.
 */
export function removalCommands({ instanceIds, images, securityGroups, keyPairs }: PackerLeftovers, groups: LeftIn[]): string[] {
  const regionOf = (name: string): string => groups.find((group) => group.names.includes(name))?.region ?? 'REGION'
  return [
    ...instanceIds.map((id) => `aws ec2 terminate-instances --region ${regionOf(id)} --instance-ids ${id}`),
    ...images.map((id) => `aws ec2 deregister-image --region ${regionOf(id)} --image-id ${id} --delete-associated-snapshots`),
    // By its ID: a name alone names a group only in the default VPC.
    ...securityGroups.map((name) => {
      const region = regionOf(name)
      return (
        `aws ec2 delete-security-group --region ${region} --group-id $(aws ec2 describe-security-groups --region ${region} ` +
        `--filters Name=group-name,Values=${name} --query 'SecurityGroups[0].GroupId' --output text)`
      )
    }),
    ...keyPairs.map((name) => `aws ec2 delete-key-pair --region ${regionOf(name)} --key-name ${name}`)
  ]
}
