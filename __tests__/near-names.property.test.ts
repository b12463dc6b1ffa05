// The rule that names the declared variable a name was probably meant to be: it names it for one
// small slip, and keeps quiet for names that are merely alike, which shared variables files hold.
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { meantName } from '../src/inputs/near-names.js'

const word = fc.stringMatching(/^[a-z]{3,9}$/)
/** A variable name as templates write them: words joined by `_`. */
const variableName = fc.array(word, { minLength: 2, maxLength: 3 }).map((words) => words.join('_'))

describe('meantName', () => {
  it('names the declared variable for real slips, and nothing for names that are merely alike', () => {
    const declared = ['aws_region', 'source_ami_id', 'team_name', 'db_password', 'subnet_1', 'vpc', 'ami_name']
    expect(meantName('aws_regoin', declared)).toBe('aws_region')
    expect(meantName('aws-region', declared)).toBe('aws_region')
    expect(meantName('AWS_REGION', declared)).toBe('aws_region')
    expect(meantName('Team_Name', declared)).toBe('team_name')
    expect(meantName('db_pasword', declared)).toBe('db_password')
    expect(meantName('aws_regions', declared)).toBe('aws_region')
    expect(meantName('VPC', declared)).toBe('vpc')
    // Another template's keys in a shared file, a version, another number, a short name.
    expect(meantName('source-ami', declared)).toBeUndefined()
    expect(meantName('source_ami', declared)).toBeUndefined()
    expect(meantName('subnet_2', declared)).toBeUndefined()
    expect(meantName('vpn', declared)).toBeUndefined()
    expect(meantName('instance_type', declared)).toBeUndefined()
    // As near to two: no answer.
    expect(meantName('ami_nam', ['ami_name', 'ami_nas'])).toBeUndefined()
    expect(meantName('aws_region', declared)).toBeUndefined()
  })

  it('names the one declared variable that a swap, a missing, an extra or a changed letter, or its case or separator, makes a name of', () => {
    const slips = fc.oneof(
      fc.constant((name: string, at: number) => name.slice(0, at) + name[at + 1] + name[at] + name.slice(at + 2)),
      fc.constant((name: string, at: number) => name.slice(0, at) + name.slice(at + 1)),
      fc.constant((name: string, at: number) => name.slice(0, at) + 'x' + name.slice(at)),
      fc.constant((name: string, at: number) => name.slice(0, at) + (name[at] === 'q' ? 'z' : 'q') + name.slice(at + 1)),
      fc.constant((name: string) => name.toUpperCase().replaceAll('_', '-'))
    )
    fc.assert(
      fc.property(variableName, slips, fc.nat(), (name, slip, index) => {
        const misspelt = slip(name, index % (name.length - 1))
        fc.pre(misspelt !== name)
        expect(meantName(misspelt, [name])).toBe(name)
      })
    )
  })

  it('names nothing for a name that adds a word to a declared one, or differs from it in its digits', () => {
    fc.assert(
      fc.property(variableName, word, fc.nat({ max: 9 }), fc.nat({ max: 9 }), (name, extra, one, other) => {
        expect(meantName(`${name}_${extra}`, [name])).toBeUndefined()
        expect(meantName(name, [`${name}_${extra}`])).toBeUndefined()
        fc.pre(one !== other)
        expect(meantName(`${name}${one}`, [`${name}${other}`])).toBeUndefined()
      })
    )
  })

  it('is the same whichever order the declared names come in', () => {
    fc.assert(
      fc.property(variableName, fc.uniqueArray(variableName, { maxLength: 6 }), (name, declared) => {
        expect(meantName(name, [...declared].reverse())).toBe(meantName(name, declared))
      })
    )
  })
})
