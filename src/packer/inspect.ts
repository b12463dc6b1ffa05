// `packer inspect`: Packer's own list of an HCL2 template's builds, in the order Packer reads
// them (files in name order, blocks in file order), named as -only and the build's output name
// them. Build finish order is not template order, so this is what "the first build" means.
import { getExecOutput, type ExecOutput } from '@actions/exec'
import { errorMessage } from '../common/errors.js'
import { parseEventLine } from './machine-readable.js'

/**
 * Build names from `packer inspect -machine-readable` of an HCL2 template: `TYPE.NAME` per
 * source, prefixed with `BUILD.` for a named build block.
 */
export function buildsFromInspect(output: string): string[] {
  const text = output
    .split('\n')
    .map(parseEventLine)
    .filter((event) => event?.type === 'ui' && event.data[0] === 'say')
    .map((event) => event?.data.slice(1).join(',') ?? '')
    .join('\n')
  const start = text.indexOf('> builds:')
  if (start < 0) return []
  const builds: string[] = []
  let buildName: string | undefined
  let inSources = false
  for (const line of text.slice(start).split('\n').slice(1)) {
    const header = /^ {2}> (.+):$/.exec(line)
    if (header) {
      buildName = /^<unnamed build \d+>$/.test(header[1]) ? '' : header[1]
      inSources = false
    } else if (/^ {4}\S/.test(line)) {
      inSources = line.trim() === 'sources:'
    } else if (inSources && buildName !== undefined && /^ {6}\S+$/.test(line)) {
      const source = line.trim()
      builds.push(buildName === '' ? source : `${buildName}.${source}`)
    }
  }
  return builds
}

/** Runs packer inspect, a short query; what it printed when it fails is in the error. */
export async function inspectBuilds(
  packerPath: string,
  template: string,
  options: { cwd: string; env: NodeJS.ProcessEnv }
): Promise<string[]> {
  const env = Object.fromEntries(Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
  let answer: ExecOutput
  try {
    answer = await getExecOutput(packerPath, ['inspect', '-machine-readable', template], {
      cwd: options.cwd,
      env,
      silent: true,
      ignoreReturnCode: true
    })
  } catch (error) {
    throw new Error(`packer inspect ${template} failed: ${errorMessage(error)}`, { cause: error })
  }
  if (answer.exitCode === 0) return buildsFromInspect(answer.stdout)
  const said = answer.stdout
    .split('\n')
    .map(parseEventLine)
    .filter((event) => event?.type === 'ui' && event.data[0] === 'error')
    .map((event) => event?.data.slice(1).join(','))
    .join('\n')
  throw new Error(`packer inspect ${template} failed: ${said || `exit code ${answer.exitCode}`}`)
}
