// Where what Packer left is, once the credentials expired: the commands that remove it name the
// region its builds launched in, and only where that region is certain.
import { describe, expect, it } from '@jest/globals'
import { removalCommands, whereLeft } from '../src/common/expired-credentials.js'
import { buildRegionsOfRun, type AmiBuild } from '../src/inputs/ami-builds.js'

const location = { file: 't.json' }
const build = (name: string, type: string, buildRegion?: string): AmiBuild => ({ name, type, skipsAmi: false, location, ...(buildRegion ? { buildRegion } : {}) })
const everyBuild = { only: [], except: [], templateKind: 'json' as const }

describe('whereLeft', () => {
  it('the one region every build launches in, the home region or not', () => {
    expect(whereLeft({ regions: ['eu-west-1'] })).toEqual({ region: 'eu-west-1', where: 'in eu-west-1' })
  })

  it('REGION, with the regions it may be in, where the builds launch in several or one only Packer knows: never one of them as the place', () => {
    expect(whereLeft({ regions: ['eu-west-1', 'us-east-1'] })).toEqual({
      region: 'REGION',
      where: 'in the region its build launched in (eu-west-1 or us-east-1; REGION in the commands)'
    })
    expect(whereLeft({ regions: ['eu-west-1'], unknown: true })).toEqual({
      region: 'REGION',
      where: 'in the region its build launched in (eu-west-1, or one only Packer works out; REGION in the commands)'
    })
    expect(whereLeft({ regions: [], unknown: true }).where).toBe('in the region its build launched in (REGION in the commands)')
    expect(whereLeft(undefined).region).toBe('REGION')
  })

  it('the commands name that region', () => {
    const left = { instanceIds: ['i-0123456789abcdef0'], images: [], securityGroups: [], keyPairs: [] }
    expect(removalCommands(left, whereLeft({ regions: ['eu-west-1'] }).region)).toEqual(['aws ec2 terminate-instances --region eu-west-1 --instance-ids i-0123456789abcdef0'])
  })
})

describe('buildRegionsOfRun', () => {
  it("the regions the run's Amazon builds launch in, each once; unknown where a build's only Packer knows, or the builds are not known", async () => {
    const builds = [build('web', 'amazon-ebs', 'eu-west-1'), build('api', 'amazon-ebs', 'eu-west-1'), build('local', 'null')]
    expect(await buildRegionsOfRun(builds, everyBuild)).toEqual({ regions: ['eu-west-1'] })
    expect(await buildRegionsOfRun([...builds, build('db', 'amazon-ebs', 'us-east-1')], everyBuild)).toEqual({ regions: ['eu-west-1', 'us-east-1'] })
    expect(await buildRegionsOfRun([...builds, build('base', 'amazon-chroot')], everyBuild)).toEqual({ regions: ['eu-west-1'], unknown: true })
    expect(await buildRegionsOfRun(undefined, everyBuild)).toEqual({ regions: [], unknown: true })
  })

  it('of the builds only and except leave in', async () => {
    const builds = [build('web', 'amazon-ebs', 'eu-west-1'), build('db', 'amazon-ebs', 'us-east-1')]
    expect(await buildRegionsOfRun(builds, { ...everyBuild, only: ['web'] })).toEqual({ regions: ['eu-west-1'] })
    expect(await buildRegionsOfRun(builds, { ...everyBuild, except: ['web'] })).toEqual({ regions: ['us-east-1'] })
  })
})
