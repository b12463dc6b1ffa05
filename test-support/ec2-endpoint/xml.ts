// EC2 answers in the Query protocol's XML: element names are the members' wire names, and every
// list is a wrapper element whose entries are all called <item>.

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'

export type XmlValue =
  | string
  | number
  | boolean
  | Date
  | undefined
  | null
  | XmlValue[]
  | { [name: string]: XmlValue }

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/** One element; a list's entries are each called `entry` (EC2: item, IAM: member). */
export function element(name: string, value: XmlValue, entry = 'item'): string {
  if (value === undefined || value === null) return ''
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`
    return `<${name}>${value.map((one) => element(entry, one, entry)).join('')}</${name}>`
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`
  if (typeof value === 'object') return `<${name}>${children(value, entry)}</${name}>`
  return `<${name}>${escapeXml(String(value))}</${name}>`
}

function children(members: { [name: string]: XmlValue }, entry = 'item'): string {
  return Object.entries(members)
    .map(([name, value]) => element(name, value, entry))
    .join('')
}

export function responseDocument(
  action: string,
  requestId: string,
  members: { [name: string]: XmlValue }
): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${action}Response xmlns="${EC2_NAMESPACE}">` +
    `<requestId>${requestId}</requestId>${children(members)}</${action}Response>`
  )
}

export function errorDocument(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  )
}
