// The README's IAM policy, as tests read it: the base policy and, per input, what it adds.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from './action-process.js'

function readme(): string {
  return readFileSync(join(projectRoot, 'README.md'), 'utf8')
}

/** The actions the `<!-- iam-policy -->` block allows. */
export function readmePolicyActions(): string[] {
  const block = /<!-- iam-policy -->\s*```json\n([\s\S]*?)```/.exec(readme())
  if (!block) throw new Error('README.md has no <!-- iam-policy --> JSON block')
  const policy = JSON.parse(block[1]) as { Statement: Array<{ Effect: string; Action: string[] }> }
  return policy.Statement.filter((statement) => statement.Effect === 'Allow').flatMap((statement) => statement.Action)
}

/** The permissions the `<!-- iam-policy-inputs -->` table says `input` adds, sorted. */
export function readmeInputPermissions(input: string): string[] {
  const text = readme()
  const start = text.indexOf('<!-- iam-policy-inputs -->')
  if (start < 0) throw new Error('README.md has no <!-- iam-policy-inputs --> table')
  const rows = text.slice(start).split('\n\n')[0].split('\n')
  const row = rows.find((line) => line.startsWith(`| \`${input}\` |`))
  if (!row) throw new Error(`README.md's <!-- iam-policy-inputs --> table has no row for ${input}`)
  return [...row.split('|')[2].matchAll(/`([a-z0-9-]+:[A-Za-z]+)`/g)].map((match) => match[1]).sort()
}
