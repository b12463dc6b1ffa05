// EC2's list answers come in pages, each ending with a `nextToken` the next call sends back as
// `NextToken`. Which calls page, and when:
// - DescribeImages, DescribeInstances, DescribeSnapshots, DescribeVolumes and DescribeTags, EC2's
//   oldest, "will not paginate server side unless max_results is set" (AWS SDK for Ruby,
//   Aws::EC2::ResourcePaginationFix); DescribeSecurityGroups, DescribeVpcs and DescribeSubnets
//   say so in their reference ("If this parameter is not specified, then all items are
//   returned"). Without `MaxResults` they answer everything at once, as Packer 1.6.6 relies on.
// - DescribeLaunchTemplates, DescribeLaunchTemplateVersions and DescribeImageReferences page
//   with or without it; their references give the range of `MaxResults` but no default, so
//   the endpoint's default page is its largest.
// A page may hold fewer items than `MaxResults` asks for (EC2 API reference, "Pagination"):
// `pageSize` makes every page at most that long, so that tests page with a few items.
import { invalidParameterValue } from './errors.js'
import { intParam, type Params } from './query.js'
import type { XmlValue } from './xml.js'

interface ListAction {
  /** The answer's member that holds the list. */
  member: string
  /** The page EC2 answers without `MaxResults`; none: the whole list. */
  byDefault?: number
}

const LIST_ACTIONS: Readonly<Record<string, ListAction>> = {
  DescribeImages: { member: 'imagesSet' },
  DescribeInstances: { member: 'reservationSet' },
  DescribeSnapshots: { member: 'snapshotSet' },
  DescribeVolumes: { member: 'volumeSet' },
  DescribeTags: { member: 'tagSet' },
  DescribeSecurityGroups: { member: 'securityGroupInfo' },
  DescribeVpcs: { member: 'vpcSet' },
  DescribeSubnets: { member: 'subnetSet' },
  DescribeLaunchTemplates: { member: 'launchTemplates', byDefault: 200 },
  DescribeLaunchTemplateVersions: { member: 'launchTemplateVersionSet', byDefault: 200 },
  DescribeImageReferences: { member: 'imageReferenceSet', byDefault: 1000 }
}

/** What a token stands for: where the next page starts, in the answer to which request. */
interface Token {
  start: number
  request: string
}

/** The request without its paging members: the same list, whichever page. */
function requestOf(action: string, params: Params): string {
  const rest = Object.entries(params).filter(([name]) => name !== 'NextToken' && name !== 'MaxResults')
  return JSON.stringify([action, rest.sort(([a], [b]) => a.localeCompare(b))])
}

function encode(token: Token): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url')
}

function decode(text: string): Token | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString()) as Partial<Token>
    return typeof token.start === 'number' && typeof token.request === 'string' ? { start: token.start, request: token.request } : undefined
  } catch {
    return undefined
  }
}

/**
 * The page of `result` that the call asks for, with `nextToken` where more follow. `pageSize`
 * caps every page. Answers of actions that do not list are returned as they are.
 */
export function pageOf(
  action: string,
  params: Params,
  result: { [member: string]: XmlValue },
  pageSize: number | undefined
): { [member: string]: XmlValue } {
  const list = LIST_ACTIONS[action]
  const items = list === undefined ? undefined : result[list.member]
  if (list === undefined || !Array.isArray(items)) return result
  const maxResults = intParam(params, 'MaxResults')
  if (maxResults !== undefined && maxResults < 1) throw invalidParameterValue(`Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value greater than 0.`)
  const request = requestOf(action, params)
  let start = 0
  if (params.NextToken !== undefined && params.NextToken !== '') {
    const token = decode(params.NextToken)
    if (token === undefined || token.request !== request) {
      throw invalidParameterValue(`The token '${params.NextToken}' is invalid: the loopback endpoint did not give it for this request.`)
    }
    start = token.start
  }
  const asked = maxResults ?? list.byDefault
  const size = asked === undefined ? Number.POSITIVE_INFINITY : Math.min(asked, pageSize ?? asked)
  if (start === 0 && size >= items.length) return result
  const end = start + size
  return {
    ...result,
    [list.member]: items.slice(start, end),
    ...(end < items.length ? { nextToken: encode({ start: end, request }) } : {})
  }
}
