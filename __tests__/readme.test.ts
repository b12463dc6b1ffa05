// The README's inputs and outputs tables are what users read instead of action.yml: they
// must name exactly the same inputs, with the same defaults, and the same outputs.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
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
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()))
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

  it('lists every output of action.yml', () => {
    expect(tableRows('Outputs').map(([name]) => name.replace(/`/g, '')).sort()).toEqual(Object.keys(action.outputs).sort())
  })
})
