// EC2 filters: values of one filter are alternatives, separate filters must all match, values
// may use the `*` and `?` wildcards (a backslash before one, or before another backslash, is
// the character itself), and `tag:Key`, `tag-key`, `tag-value` work on every
// taggable resource. An unknown filter name is an error, not an empty result.

import { invalidFilter } from './errors.js'
import type { Filter } from './query.js'

/** For each filter name a resource supports, the values it has under that name. */
export type FilterFields<T> = Record<string, (resource: T) => Array<string | undefined>>

/**
 * A filter value as a pattern: `*` and `?` are wildcards, and `\\*`, `\\?`, `\\\\` the characters
 * themselves. `?` is one character, as EC2 counts them: an emoji is one, not two UTF-16 code units.
 */
function wildcard(value: string): RegExp {
  const pattern = [...value]
  let source = ''
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]
    const next = pattern[index + 1]
    if (char === '\\' && (next === '*' || next === '?' || next === '\\')) {
      source += `\\${next}`
      index++
    } else if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, 'su')
}

function fieldValues<T extends { tags: Map<string, string> }>(
  fields: FilterFields<T>,
  name: string,
  resource: T
): Array<string | undefined> {
  if (name.startsWith('tag:')) return [resource.tags.get(name.slice(4))]
  if (name === 'tag-key') return [...resource.tags.keys()]
  if (name === 'tag-value') return [...resource.tags.values()]
  const field = fields[name]
  if (field === undefined) throw invalidFilter(name)
  return field(resource)
}

export function applyFilters<T extends { tags: Map<string, string> }>(
  resources: T[],
  filters: Filter[],
  fields: FilterFields<T>
): T[] {
  const compiled = filters.map((filter) => ({
    name: filter.name,
    patterns: filter.values.map(wildcard)
  }))
  // Names are checked even when there is nothing to filter, as EC2 does.
  for (const { name } of compiled) {
    if (!name.startsWith('tag:') && name !== 'tag-key' && name !== 'tag-value' && !(name in fields)) {
      throw invalidFilter(name)
    }
  }
  return resources.filter((resource) =>
    compiled.every(({ name, patterns }) => {
      const values = fieldValues(fields, name, resource).filter((v): v is string => v !== undefined)
      return values.some((value) => patterns.some((pattern) => pattern.test(value)))
    })
  )
}
