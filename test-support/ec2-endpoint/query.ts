// Reading EC2 Query parameters: lists arrive flattened as `Name.1`, `Name.2`, … and lists of
// structures as `Name.1.Member`, `Name.1.Sub.1.Member`, ….

import { Ec2Error, invalidParameterValue, missingParameter } from './errors.js'

export type Params = Readonly<Record<string, string>>

export interface Filter {
  name: string
  values: string[]
}

export interface TagInput {
  key: string
  value: string
}

function numbered(params: Params, prefix: string): Map<number, string[]> {
  const byIndex = new Map<number, string[]>()
  const head = `${prefix}.`
  for (const key of Object.keys(params)) {
    if (!key.startsWith(head)) continue
    const rest = key.slice(head.length)
    const dot = rest.indexOf('.')
    const index = Number(dot < 0 ? rest : rest.slice(0, dot))
    if (!Number.isInteger(index)) continue
    const keys = byIndex.get(index) ?? []
    keys.push(key)
    byIndex.set(index, keys)
  }
  return new Map([...byIndex.entries()].sort(([a], [b]) => a - b))
}

/** Values of `Prefix.1`, `Prefix.2`, … in index order. */
export function listParam(params: Params, prefix: string): string[] {
  const values: string[] = []
  for (const [index] of numbered(params, prefix)) {
    const value = params[`${prefix}.${index}`]
    if (value !== undefined) values.push(value)
  }
  return values
}

/** Each `Prefix.N.*` group as its own parameter set, with `Prefix.N.` cut off the names. */
export function structListParam(params: Params, prefix: string): Params[] {
  const groups: Params[] = []
  for (const [index, keys] of numbered(params, prefix)) {
    const head = `${prefix}.${index}.`
    const group: Record<string, string> = {}
    for (const key of keys) {
      if (key.startsWith(head)) group[key.slice(head.length)] = params[key]
    }
    groups.push(group)
  }
  return groups
}

export function filtersParam(params: Params): Filter[] {
  return structListParam(params, 'Filter').map((group) => {
    if (group.Name === undefined) throw missingParameter('Filter.N.Name')
    return { name: group.Name, values: listParam(group, 'Value') }
  })
}

export function tagsParam(params: Params, prefix = 'Tag'): TagInput[] {
  return structListParam(params, prefix).map((group) => {
    if (group.Key === undefined) throw missingParameter(`${prefix}.N.Key`)
    return { key: group.Key, value: group.Value ?? '' }
  })
}

export function requiredParam(params: Params, name: string): string {
  const value = params[name]
  if (value === undefined || value === '') throw missingParameter(name)
  return value
}

export function boolParam(params: Params, name: string): boolean | undefined {
  const value = params[name]
  if (value === undefined) return undefined
  if (value === 'true') return true
  if (value === 'false') return false
  throw invalidParameterValue(
    `Value (${value}) for parameter ${name} is invalid. Expected: 'true' or 'false'.`
  )
}

export function intParam(params: Params, name: string): number | undefined {
  const value = params[name]
  if (value === undefined || value === '') return undefined
  const number = Number(value)
  if (!Number.isInteger(number)) {
    throw new Ec2Error('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid.`)
  }
  return number
}
