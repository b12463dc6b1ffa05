// The regions an AMI of the build may be in besides those the action knows of: every region the
// account has enabled, as EC2 lists them.
import { DescribeRegionsCommand, type EC2Client } from '@aws-sdk/client-ec2'

/** The account's enabled regions (ec2:DescribeRegions), as `ec2`'s region answers. */
export async function enabledRegions(ec2: EC2Client, abortSignal?: AbortSignal): Promise<string[]> {
  const answer = await ec2.send(new DescribeRegionsCommand({}), { abortSignal })
  return (answer.Regions ?? []).map((region) => region.RegionName).filter((name): name is string => typeof name === 'string')
}
