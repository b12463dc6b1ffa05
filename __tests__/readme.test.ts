// The README's inputs and outputs tables are what users read instead of action.yml: they
// must name exactly the same inputs, with the same defaults, and the same outputs.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { familyPrefixOf, imageFamilyOf } from '../src/inputs/retention.js'
import { actionTagKeys } from '../src/inputs/reuse.js'
import { provenanceTagKeys } from '../src/inputs/tags.js'
import { projectRoot } from './support/action-process.js'
import { readActionYml } from './support/action-yml.js'

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
const action = readActionYml()

function tableRows(heading: string): string[][] {
  const section = readme.slice(readme.indexOf(`\n## ${heading}\n`) + 1)
  const body = section.slice(0, section.indexOf('\n## '))
  return body
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    // As GitHub reads a table: `\|` is a `|` of the cell (in code too), not a column's edge.
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim().replace(/\\\|/g, '|')))
}

describe('README.md', () => {
  it('lists every input of action.yml, and no other, with its default', () => {
    const rows = tableRows('Inputs')
    expect(rows.map(([name]) => name.replace(/`/g, '')).sort()).toEqual(Object.keys(action.inputs).sort())
    for (const [name, shownDefault] of rows) {
      const declared = action.inputs[name.replace(/`/g, '')].default
      if (declared) expect(shownDefault.startsWith(`\`${declared}\``)).toBe(true)
      else expect(shownDefault === '' || shownDefault.includes('AWS_REGION')).toBe(true)
    }
  })

  it('gives the default image family as the action makes it, wherever it names it', () => {
    // The family of a build's AMIs in the words of the README: what the action makes of them.
    const inWords = imageFamilyOf('build-name', {
      familyPrefix: familyPrefixOf('owner/repo', { workspace: '/w', workingDirectory: '/w', template: 'template-path' })
    })
    expect(inWords).toBe('owner/repo/template-path/build-name')
    const input = tableRows('Inputs').find(([name]) => name === '`image-family`')
    expect(input?.[2]).toContain(`Default: \`${inWords}\``)
    const tag = tableRows('Provenance tags').find(([key]) => key === '`ImageFamily`')
    expect(tag?.[1]).toContain(`\`${inWords}\``)
    // Retention's example, from a template directory in a working directory.
    const example = imageFamilyOf('amazon-ebs.ubuntu', {
      familyPrefix: familyPrefixOf('acme/images', { workspace: '/w', workingDirectory: '/w/images/web', template: '.' })
    })
    expect(readme.replace(/\s+/g, ' ')).toContain(`(\`${example}\` for \`template: .\` in \`working-directory: images/web\`)`)
  })

  it("says which provenance tags a tags entry replaces, and which it cannot: the action's own", () => {
    const section = readme.slice(readme.indexOf('\n## Provenance tags\n'), readme.indexOf('\n## Recipes\n'))
    const sentence = /\nA `tags` entry with the same key [^\n]*(\n[^\n]+)*/.exec(section)?.[0] ?? ''
    const named = (keys: string[]) => keys.filter((key) => sentence.includes(`\`${key}\``)).sort()
    const own = actionTagKeys({ provenanceTags: true, reuse: false, imageFamily: undefined })
    expect(named(own)).toEqual([...own].sort())
    expect(named(Object.values(provenanceTagKeys))).toEqual([])
  })

  it('lists every tag the action writes in its provenance table, and counts them in its tag rules as the action does', () => {
    const own = actionTagKeys({ provenanceTags: true, reuse: false, imageFamily: undefined })
    const provenance = Object.values(provenanceTagKeys)
    const listed = tableRows('Provenance tags').flatMap(([keys]) => [...keys.matchAll(/`(\w+)`/g)].map(([, key]) => key))
    expect(listed.sort()).toEqual([...provenance, ...own].sort())
    const fingerprint = own.filter((key) => key !== 'ImageFamily')
    const left = 50 - provenance.length - own.length
    expect(readme.replace(/\s+/g, ' ')).toContain(
      `with \`provenance-tags: true\` a build writes ${provenance.length} provenance tags, \`ImageFamily\` and the ${fingerprint.length} fingerprint tags, which leaves ${left} for \`tags\``
    )
  })

  it("names every provenance tag's subject in action.yml's description of provenance-tags", () => {
    // A user who reads only action.yml learns there what provenance-tags writes.
    const inWords: Record<keyof typeof provenanceTagKeys, string> = {
      repository: 'repository',
      commit: 'commit',
      ref: 'ref',
      event: 'event',
      actor: 'actor',
      runUrl: 'workflow run URL',
      buildTime: 'build time'
    }
    expect(Object.keys(inWords).sort()).toEqual(Object.keys(provenanceTagKeys).sort())
    const description = (action.inputs['provenance-tags'].description ?? '').replace(/\s+/g, ' ')
    expect(Object.values(inWords).filter((words) => !description.includes(words))).toEqual([])
    expect(description).toContain('image family')
  })

  it('lists every output of action.yml', () => {
    expect(tableRows('Outputs').map(([name]) => name.replace(/`/g, '')).sort()).toEqual(Object.keys(action.outputs).sort())
  })
})
