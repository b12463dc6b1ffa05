// The loopback endpoint pages its list answers as EC2 does: the oldest describes only when asked
// to (MaxResults), launch templates and image references always, and `pageSize` shortens every
// page so that a test pages with a few items.
import { describe, expect, it } from '@jest/globals'
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeLaunchTemplatesCommand,
  paginateDescribeImages,
  paginateDescribeLaunchTemplateVersions,
  type Image
} from '@aws-sdk/client-ec2'
import { SELF_ACCOUNT_ID } from '../test-support/ec2-endpoint/index.js'
import { endpointPerTest } from './support/endpoint-per-test.js'

const loopback = endpointPerTest('us-east-1')

const ownImages = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ name: `own-${String(index).padStart(2, '0')}`, ownerId: SELF_ACCOUNT_ID, tags: { Set: 'paged' } }))

describe('paging', () => {
  it('answers DescribeImages whole without MaxResults, whatever the page size, as EC2 does', async () => {
    await loopback.start({ pageSize: 2, seedImages: ownImages(7) })
    const answer = await loopback.ec2().send(new DescribeImagesCommand({ Owners: ['self'] }))
    expect(answer.Images).toHaveLength(7)
    expect(answer.NextToken).toBeUndefined()
  })

  it('pages DescribeImages by MaxResults, each page at most the page size, until every image is read once', async () => {
    await loopback.start({ pageSize: 2, seedImages: ownImages(7) })
    const pages: Image[][] = []
    for await (const page of paginateDescribeImages({ client: loopback.ec2() }, { Owners: ['self'], MaxResults: 1000 })) pages.push(page.Images ?? [])
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1])
    expect(new Set(pages.flat().map((image) => image.Name)).size).toBe(7)
    const first = await loopback.ec2().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 3 }))
    expect(first.Images).toHaveLength(2)
    expect(first.NextToken).toEqual(expect.any(String))
  })

  it('pages by MaxResults alone without a page size, and refuses a token given for another request', async () => {
    await loopback.start({ seedImages: ownImages(5) })
    const first = await loopback.ec2().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 3 }))
    expect(first.Images).toHaveLength(3)
    const rest = await loopback.ec2().send(new DescribeImagesCommand({ Owners: ['self'], MaxResults: 3, NextToken: first.NextToken }))
    expect(rest.Images).toHaveLength(2)
    expect(rest.NextToken).toBeUndefined()
    await expect(
      loopback.ec2().send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag:Set', Values: ['paged'] }], MaxResults: 3, NextToken: first.NextToken }))
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' })
  })

  it('pages launch templates and their versions without MaxResults', async () => {
    await loopback.start({ pageSize: 2 })
    const ec2 = loopback.ec2()
    for (const name of ['one', 'two', 'three']) {
      await ec2.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: name, LaunchTemplateData: { InstanceType: 't3.micro' } }))
    }
    for (let version = 2; version <= 5; version += 1) {
      await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: 'one', LaunchTemplateData: { InstanceType: 't3.small' } }))
    }
    const templates = await ec2.send(new DescribeLaunchTemplatesCommand({}))
    expect(templates.LaunchTemplates).toHaveLength(2)
    expect(templates.NextToken).toEqual(expect.any(String))
    const versions: number[] = []
    for await (const page of paginateDescribeLaunchTemplateVersions({ client: ec2 }, { LaunchTemplateName: 'one' })) {
      versions.push(...(page.LaunchTemplateVersions ?? []).map((version) => version.VersionNumber ?? 0))
    }
    expect(versions.sort()).toEqual([1, 2, 3, 4, 5])
    const both = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'one', Versions: ['1', '$Latest', '3'] }))
    expect(both.LaunchTemplateVersions).toHaveLength(2)
  })
})
