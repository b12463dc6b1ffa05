// The job summary's table of annotations, given any message: GitHub shows the message as it was
// written, and the runner, which masks the summary file line by line as written, still finds every
// secret in it.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import { renderSummary, type SummaryModel } from '../src/report/index.js'
import { maskValues } from '../src/report/masks.js'
import { asTheRunnerShowsIt } from './support/action-process.js'
import { renderedHtml, tableRows, textOf } from './support/markdown.js'

const base: SummaryModel = {
  outcome: 'failed',
  template: 'template.json',
  amis: [],
  problems: [],
  annotations: [],
  provenance: { commit: '0123456789abcdef0123456789abcdef01234567', repository: 'acme/images', serverUrl: 'https://github.com', eventName: 'push', actor: 'octocat' }
}

/** What a reader sees of the message in the table, once the runner has masked `runnerSecrets`. */
function shownMessage(message: string, runnerSecrets: string[] = [], file?: string): string {
  const summary = renderSummary({ ...base, annotations: [{ level: 'error', message, file, line: file === undefined ? undefined : 3 }] })
  const [row] = tableRows(asTheRunnerShowsIt({ stdout: '', summary }, runnerSecrets).summary, ['', 'Where', 'Message'])
  return row[2]
}

/** The message on one line, as the table must show it. */
function asOneLine(message: string): string {
  return message.replace(/\s*[\r\n]\s*/g, ' ').trim()
}

/** Text full of what Markdown and a table's row read: punctuation, backticks, line breaks. */
const markdownish = fc.string({
  unit: fc.oneof(
    fc.constantFrom(...'|`\\*_[]()<>&!~#:-.\'"{}$%@ \t\r\n'.split('')),
    fc.constantFrom('www.example.com', 'https://x.test/a', '&amp;', '<b>', '```', '~~'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
  ),
  maxLength: 120
})

/** A secret as the runner knows it: no white space, and no `|`, which the table must escape. */
const runnerSecret = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.*!@#$%^&()[]{}<>`\\~+=/?:;\'",'.split('')), minLength: 6, maxLength: 40 })

describe('the summary table of annotations', () => {
  it('shows any message as it was written, on one line', () => {
    fc.assert(
      fc.property(markdownish, (message) => {
        fc.pre(asOneLine(message) !== '' && !message.includes('\\|'))
        expect(shownMessage(message)).toBe(asOneLine(message))
      }),
      { numRuns: 500 }
    )
    // A `\` right before a `|` would escape the table's escape: a space keeps them apart.
    expect(shownMessage('a\\|b')).toBe('a\\ |b')
  })

  it('shows none of a secret that the runner masks, wherever it is in a message of any length', () => {
    fc.assert(
      fc.property(markdownish, runnerSecret, markdownish, fc.nat(1500), (before, secret, after, padding) => {
        const message = `${'word '.repeat(padding / 5)}${before}${secret}${after}`
        const shown = shownMessage(message, [secret])
        expect(shown).not.toContain(secret)
        // A message cut short is cut between words: no part of a secret shows without the rest.
        const cut = shown.match(/^(.*) … \(the rest is in the log\)$/)
        // The message as the table writes it (a `\` before a `|` kept apart from it), then masked.
        const whole = asOneLine(message).replaceAll('\\|', '\\ |').replaceAll(secret, '***')
        // (The end of the text, white space trimmed, is a word's end too.)
        if (cut) expect([whole.startsWith(cut[1]), /\s/.test(whole[cut[1].length] ?? ' ')]).toEqual([true, true])
      }),
      { numRuns: 1000 }
    )
  })

  it('shows the problems under the table as they were written, and none of a secret the runner masks in them', () => {
    fc.assert(
      fc.property(fc.array(markdownish, { minLength: 1, maxLength: 4 }), runnerSecret, (problems, secret) => {
        fc.pre(problems.every((problem) => !problem.includes(secret)))
        const summary = renderSummary({ ...base, problems: [...problems, `a secret: ${secret}`] })
        const block = /<pre><code class="language-text">([\s\S]*?)<\/code><\/pre>/.exec(renderedHtml(asTheRunnerShowsIt({ stdout: '', summary }, [secret]).summary))
        // Line by line: a code block shows \n, \r\n and \r each as a line break.
        const linesOf = (text: string): string[] => text.split(/\r\n|\r|\n/)
        expect(linesOf(textOf(block?.[1] ?? ''))).toEqual([...linesOf([...problems, 'a secret: ***'].join('\n')), ''])
      }),
      { numRuns: 300 }
    )
  })

  it('shows nothing of a message over 1,000 characters with no white space to cut it at', () => {
    expect(shownMessage('x'.repeat(1200))).toBe('(too long to show here: it is in the log)')
  })

  describe('with secrets the action knows', () => {
    const written = jest.spyOn(process.stdout, 'write')
    beforeAll(() => {
      written.mockImplementation(() => true)
    })
    afterAll(() => {
      written.mockRestore()
    })

    it('registers each line of a multi-line secret with the runner, which ends lines at \\n, \\r\\n and \\r', () => {
      written.mockClear()
      maskValues([{ value: 'CrLine0ne\rLfLine7wo\nCrLfLine7hree\r\nend', of: 'variable', name: 'key' }])
      const masks = written.mock.calls.map(([text]) => String(text)).filter((text) => text.startsWith('::add-mask::'))
      expect(masks.map((text) => text.trim())).toEqual([
        '::add-mask::CrLine0ne%0DLfLine7wo%0ACrLfLine7hree%0D%0Aend',
        '::add-mask::CrLine0ne',
        '::add-mask::LfLine7wo',
        '::add-mask::CrLfLine7hree',
        '::add-mask::end',
        // As a Packer error quotes it on one line: Go's %q, then Go's time package.
        '::add-mask::CrLine0ne\\rLfLine7wo\\nCrLfLine7hree\\r\\nend',
        '::add-mask::CrLine0ne\\x0dLfLine7wo\\x0aCrLfLine7hree\\x0d\\x0aend'
      ])
    })

    it('shows *** for each, even where the table reshapes it (a `|` in it, a message cut in it)', () => {
      fc.assert(
        fc.property(markdownish, fc.string({ minLength: 6, maxLength: 40 }), fc.nat(1500), (before, secret, padding) => {
          fc.pre(secret.trim() !== '' && !/[\r\n]/.test(secret) && !asOneLine(before).includes(secret))
          maskValues([{ value: secret, of: 'variable', name: 'secret' }])
          const shown = shownMessage(`${'word '.repeat(padding / 5)}${before}${secret} after`, [], 'vars.json')
          expect(shown).not.toContain(secret)
        }),
        { numRuns: 200 }
      )
    })
  })
})
