// Where what Packer left is, once the credentials expired: the commands that remove it name the
// region its builds launched in, and only where that region is certain.
import { describe, expect, it } from '@jest/globals'
import { leftInText, removalCommands, whereEachLeft, whereLeft } from '../src/common/expired-credentials.js'
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
    expect(removalCommands(left, whereEachLeft(left, { regions: ['eu-west-1'] }))).toEqual(['aws ec2 terminate-instances --region eu-west-1 --instance-ids i-0123456789abcdef0'])
  })
})

describe('whereEachLeft', () => {
  const left = { instanceIds: ['i-0aaaaaaaaaaaaaaa1'], images: [], securityGroups: ['packer_sg1', 'packer_sg2'], keyPairs: ['packer_kp1', 'packer_kp2'] }
  const announcedBy = { 'i-0aaaaaaaaaaaaaaa1': 'web', packer_sg1: 'web', packer_kp1: 'web', packer_sg2: 'api', packer_kp2: 'api' }

  it("each thing in the region of the build whose line announced it, where the template tells that build's", () => {
    const builds = { regions: ['eu-west-1', 'us-east-1'], byBuild: { web: 'us-east-1', api: 'eu-west-1' } }
    const groups = whereEachLeft(left, builds, announcedBy)
    expect(groups).toEqual([
      { names: ['i-0aaaaaaaaaaaaaaa1', 'packer_sg1', 'packer_kp1'], region: 'us-east-1', where: 'in us-east-1' },
      { names: ['packer_sg2', 'packer_kp2'], region: 'eu-west-1', where: 'in eu-west-1' }
    ])
    expect(leftInText(groups)).toBe('i-0aaaaaaaaaaaaaaa1, packer_sg1, packer_kp1 (in us-east-1), packer_sg2, packer_kp2 (in eu-west-1)')
    expect(removalCommands(left, groups)).toEqual([
      'aws ec2 terminate-instances --region us-east-1 --instance-ids i-0aaaaaaaaaaaaaaa1',
      "aws ec2 delete-security-group --region us-east-1 --group-id $(aws ec2 describe-security-groups --region us-east-1 --filters Name=group-name,Values=packer_sg1 --query 'SecurityGroups[0].GroupId' --output text)",
      "aws ec2 delete-security-group --region eu-west-1 --group-id $(aws ec2 describe-security-groups --region eu-west-1 --filters Name=group-name,Values=packer_sg2 --query 'SecurityGroups[0].GroupId' --output text)",
      'aws ec2 delete-key-pair --region us-east-1 --key-name packer_kp1',
      'aws ec2 delete-key-pair --region eu-west-1 --key-name packer_kp2'
    ])
  })

  it('the regions it may be in only for what a build the template does not place announced, or no build', () => {
    const builds = { regions: ['eu-west-1', 'us-east-1'], unknown: true as const, byBuild: { web: 'us-east-1' } }
    const groups = whereEachLeft(left, builds, { ...announcedBy, packer_kp1: 'constructor' })
    expect(leftInText(groups)).toBe(
      'i-0aaaaaaaaaaaaaaa1, packer_sg1 (in us-east-1), packer_sg2, packer_kp1, packer_kp2 (in the region its build launched in (eu-west-1, us-east-1, or one only Packer works out; REGION in the commands))'
    )
    expect(removalCommands(left, groups).at(-1)).toBe('aws ec2 delete-key-pair --region REGION --key-name packer_kp2')
    expect(whereEachLeft(left, builds).map(({ region }) => region)).toEqual(['REGION'])
  })
})

describe('buildRegionsOfRun', () => {
  it("the regions the run's Amazon builds launch in, each once; unknown where a build's only Packer knows, or the builds are not known", async () => {
    const builds = [build('web', 'amazon-ebs', 'eu-west-1'), build('api', 'amazon-ebs', 'eu-west-1'), build('local', 'null')]
    expect(await buildRegionsOfRun(builds, everyBuild)).toEqual({ regions: ['eu-west-1'], byBuild: { web: 'eu-west-1', api: 'eu-west-1' } })
    expect(await buildRegionsOfRun([...builds, build('db', 'amazon-ebs', 'us-east-1')], everyBuild)).toMatchObject({ regions: ['eu-west-1', 'us-east-1'] })
    expect(await buildRegionsOfRun([...builds, build('base', 'amazon-chroot')], everyBuild)).toMatchObject({ regions: ['eu-west-1'], unknown: true })
    expect(await buildRegionsOfRun(undefined, everyBuild)).toEqual({ regions: [], unknown: true })
  })

  it('the region of each name Packer may give a build, where every build that may go by it launches in that one', async () => {
    const builds = [build('web', 'amazon-ebs', 'us-east-1'), build('api', 'amazon-ebs', 'eu-west-1'), build('db', 'amazon-ebs'), build('local', 'null', 'us-west-2')]
    expect(await buildRegionsOfRun(builds, everyBuild)).toEqual({ regions: ['eu-west-1', 'us-east-1'], unknown: true, byBuild: { web: 'us-east-1', api: 'eu-west-1' } })
    // A build whose name only Packer knows may be any of them.
    const unnamed: AmiBuild = { type: 'amazon-ebs', skipsAmi: false, location, buildRegion: 'us-east-1' }
    expect((await buildRegionsOfRun([...builds, unnamed], everyBuild)).byBuild).toEqual({ web: 'us-east-1' })
    expect((await buildRegionsOfRun([build('__proto__', 'amazon-ebs', 'us-east-1')], everyBuild)).byBuild).toEqual(Object.fromEntries([['__proto__', 'us-east-1']]))
  })

  it('of an HCL2 build, by each name Packer gives it, in the run or in its manifest', async () => {
    const made = { source: 'amazon-ebs.base', location, block: location }
    const builds: AmiBuild[] = [
      { name: 'linux.amazon-ebs.base', type: 'amazon-ebs', skipsAmi: false, location, made, buildRegion: 'us-east-1' },
      { name: 'windows.amazon-ebs.base', type: 'amazon-ebs', skipsAmi: false, location, made, buildRegion: 'eu-west-1' }
    ]
    expect((await buildRegionsOfRun(builds, { ...everyBuild, templateKind: 'hcl' })).byBuild).toEqual({
      'linux.amazon-ebs.base': 'us-east-1',
      'windows.amazon-ebs.base': 'eu-west-1'
    })
  })

  it('of the builds only and except leave in', async () => {
    const builds = [build('web', 'amazon-ebs', 'eu-west-1'), build('db', 'amazon-ebs', 'us-east-1')]
    expect(await buildRegionsOfRun(builds, { ...everyBuild, only: ['web'] })).toEqual({ regions: ['eu-west-1'], byBuild: { web: 'eu-west-1' } })
    expect(await buildRegionsOfRun(builds, { ...everyBuild, except: ['web'] })).toEqual({ regions: ['us-east-1'], byBuild: { db: 'us-east-1' } })
  })
})
