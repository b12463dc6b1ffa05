// Which text of the template's sensitive values the action registers with the runner as secrets:
// each whole value and each line of it, but no line of a document's structure alone, which the
// runner would mask everywhere and find in every JSON output.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import { maskValues, onlyStructure, outputsHoldingSecrets } from '../src/report/masks.js'
import { registeredMasks } from './support/action-process.js'

const written = jest.spyOn(process.stdout, 'write')
beforeAll(() => {
  written.mockImplementation(() => true)
})
afterAll(() => {
  written.mockRestore()
})

/** Every secret registered so far: one registered before is not registered again. */
const registered = new Set<string>()

/** What maskValues registers, as the runner reads it. */
function registering(values: string[], name = 'secret'): string[] {
  written.mockClear()
  maskValues(values.map((value) => ({ value, of: 'variable', name })))
  const now = registeredMasks({ stdout: written.mock.calls.map(([text]) => String(text)).join('') })
  for (const secret of now) registered.add(secret)
  return now
}

describe('the outputs that hold a secret registered', () => {
  // First: the other tests register many a short line.
  it('names each, whether it holds a whole sensitive value or a line of one, and whose; none for brackets alone', () => {
    registering(['{\n  "region": "eu-south-2",\n  "zones": [\n    "eu-south-2a"\n  ]\n}'], 'placement')
    registering(['ap-east-2'], 'audit_region')
    registering(['mx-central-1'], 'other_region')
    // A value two variables hold is theirs both.
    maskValues([{ value: 'ap-east-2', of: 'local', name: 'home' }])
    const outputs = {
      'ami-ids': '{"eu-south-2":"ami-0123"}',
      builds: '{"web":{"ap-east-2":"ami-0123"}}',
      artifacts: '[{"build":"web","region":"us-east-1","amiId":"ami-0123"}]',
      deregistered: '[]',
      zones: '    "eu-south-2a"'
    }
    expect(outputsHoldingSecrets(outputs)).toEqual([
      { output: 'builds', held: 'value', holders: [{ of: 'variable', name: 'audit_region' }, { of: 'local', name: 'home' }] },
      { output: 'zones', held: 'line', holders: [{ of: 'variable', name: 'placement' }] }
    ])
  })
})

describe('the secrets registered for a sensitive value', () => {
  it('a JSON or HCL document: the whole value and each line with some of it in, however short, but no line of brackets alone', () => {
    const document = '{\n  "hosts": [\n    "db1",\n    1\n  ],\n  "pool": {"min": 1},\n  "x": ":"\n}'
    // Then the forms a quoted string escapes it to.
    expect(registering([document]).slice(0, 6)).toEqual([document, '  "hosts": [', '    "db1",', '    1', '  "pool": {"min": 1},', '  "x": ":"'])
    const hcl = 'config = {\n  tags = merge(local.tags, {\n    Team = "a"\n  })\n};\n:\n"\n=\n*'
    expect(registering([hcl]).slice(0, 8)).toEqual([hcl, 'config = {', '  tags = merge(local.tags, {', '    Team = "a"', ':', '"', '=', '*'])
  })

  it('a value that is only brackets, on one line, is registered whole', () => {
    expect(registering(['{}'])).toEqual(['{}'])
  })

  it('only brackets, braces, parentheses, commas, semicolons and white space make a line of structure', () => {
    for (const line of ['{', '},', '  ]', '})', ');', ' ( [ { } ] ) , ; ']) expect(onlyStructure(line)).toBe(true)
    for (const line of ['a', '0', ':', '"', "'", '=', '*', '-', '.', '/', '\\', '|', '<', '>', '}a', '[0]', '{"', '`']) expect(onlyStructure(line)).toBe(false)
  })

  it('no line with anything but structure in it is left unregistered, and none of structure alone is registered', () => {
    const unit = fc.oneof(fc.constantFrom(...'[]{}(),; \t'.split('')), fc.string({ minLength: 1, maxLength: 1 }).filter((char) => !/[\r\n]/.test(char)))
    const line = fc.string({ unit, maxLength: 12 })
    fc.assert(
      fc.property(fc.array(line, { minLength: 2, maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, end) => {
        const value = lines.join(end)
        fc.pre(value.trim() !== '')
        const now = registering([value])
        expect(registered).toContain(value)
        for (const each of lines) {
          if (/[^\s[\]{}(),;]/.test(each)) expect(registered).toContain(each)
        }
        expect(now.filter((secret) => secret !== value && onlyStructure(secret))).toEqual([])
      }),
      { numRuns: 300 }
    )
  })
})
