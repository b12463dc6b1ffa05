// What is said of a finished build's copies that EC2 did not show: the main step after a cancel,
// and the post step after the main step was killed, look for them alike (findCopies), in the
// regions Packer's log says the build copied its AMI to.
import type { FoundCopies } from '../aws/finished-images.js'
import type { FinishedImage } from '../packer/machine-readable.js'

/**
 * The regions `image`'s build copied its AMI to where no copy was found, and why, for a warning;
 * undefined when every copy was found (or the build copied nothing).
 */
export function copiesNotFound({ build, ami, copyRegions = [] }: FinishedImage, { copies, problems }: FoundCopies): string | undefined {
  const left = copyRegions.filter((region) => !copies.some((copy) => copy.source === ami && copy.region === region))
  if (left.length === 0) return undefined
  const why = left.map((region) => {
    const problem = problems.find((one) => one.region === region)?.problem
    return problem === undefined ? `${region}, where EC2 lists no copy of it` : `${region}, where its copy could not be looked up (${problem})`
  })
  const one = left.length === 1
  return `Build ${build} copied its AMI ${ami} to ${why.join('; ')}: ${one ? 'a copy there is' : 'the copies there are'} in no output and ${one ? 'is' : 'are'} not tagged.`
}
