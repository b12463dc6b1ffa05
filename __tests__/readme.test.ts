// The README's inputs and outputs tables are what users read instead of action.yml: they
// must name exactly the same inputs, with the same defaults, and the same outputs.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { actionDefaults, projectRoot } from './support/action-process.js'

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
const actionYml = readFileSync(join(projectRoot, 'action.yml'), 'utf8')

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
    const defaults = actionDefaults()
    expect(rows.map(([name]) => name.replace(/`/g, '')).sort()).toEqual(Object.keys(defaults).sort())
    for (const [name, shownDefault] of rows) {
      const input = name.replace(/`/g, '')
      const yamlDefault = /\n {2}([a-z-]+):\n(?: {4}.*\n)*? {4}default: (.*)/g
      let declared: string | undefined
      for (const match of actionYml.matchAll(yamlDefault)) if (match[1] === input) declared = match[2].replace(/^'(.*)'$/, '$1')
      if (declared) expect(shownDefault.startsWith(`\`${declared}\``)).toBe(true)
      else expect(shownDefault === '' || shownDefault.includes('AWS_REGION')).toBe(true)
    }
  })

  it('lists every output of action.yml', () => {
    const outputsBlock = actionYml.slice(actionYml.indexOf('\noutputs:'), actionYml.indexOf('\nruns:'))
    const outputs = [...outputsBlock.matchAll(/^ {2}([a-z-]+):$/gm)].map((match) => match[1])
    expect(tableRows('Outputs').map(([name]) => name.replace(/`/g, '')).sort()).toEqual(outputs.sort())
  })
})
