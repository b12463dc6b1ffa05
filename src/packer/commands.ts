// Packer's command lines, as argument arrays.
import { withHomeRegion } from '../common/regions.js'
import type { Inputs } from '../inputs/index.js'

type TemplateArguments = Pick<Inputs, 'template' | 'varFiles' | 'variables' | 'only' | 'except'>

function variableArguments(inputs: Pick<Inputs, 'varFiles' | 'variables'>): string[] {
  const args: string[] = []
  for (const varFile of inputs.varFiles) args.push(`-var-file=${varFile}`)
  for (const { name, value } of inputs.variables) args.push('-var', `${name}=${value}`)
  return args
}

function templateArguments(inputs: TemplateArguments): string[] {
  const args = variableArguments(inputs)
  if (inputs.only.length > 0) args.push(`-only=${inputs.only.join(',')}`)
  if (inputs.except.length > 0) args.push(`-except=${inputs.except.join(',')}`)
  return args
}

/**
 * How long packer validate may take; it takes seconds. Packer 1.7.0 to 1.8.4 run an HCL2
 * template's data sources to validate it (1.8.5 skips them unless asked), so one whose service
 * takes the request and never answers would otherwise hold the job until its timeout.
 */
export const validateDeadlineMs = 5 * 60_000

export function validateArguments(inputs: TemplateArguments): string[] {
  return ['validate', '-machine-readable', ...templateArguments(inputs), inputs.template]
}

/** `packer console`, which evaluates what it reads on its standard input with the build's variables. */
export function consoleArguments(inputs: Pick<Inputs, 'template' | 'varFiles' | 'variables'>): string[] {
  return ['console', '-machine-readable', ...variableArguments(inputs), inputs.template]
}

export function buildArguments(inputs: TemplateArguments & Pick<Inputs, 'onError' | 'force'>): string[] {
  return [
    'build',
    '-machine-readable',
    `-on-error=${inputs.onError}`,
    ...(inputs.force ? ['-force'] : []),
    ...templateArguments(inputs),
    inputs.template
  ]
}

/**
 * Packer's environment for every command: its update check would only add a network call; and a
 * builder or data source that names no region takes the home region (aws-region, else AWS_REGION
 * or AWS_DEFAULT_REGION, which Packer's AWS SDK reads only beside AWS_SDK_LOAD_CONFIG), where the
 * action looks for its AMIs and for what a killed Packer left.
 */
export function packerEnvironment(homeRegion: string | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { CHECKPOINT_DISABLE: '1', ...withHomeRegion(process.env, homeRegion), ...extra }
}

/**
 * Packer's debug log (PACKER_LOG, on its standard error) when the runner's debug logging is on (a
 * re-run with "Enable debug logging"), unless the step's environment sets PACKER_LOG itself, to
 * any value: `PACKER_LOG: 0` keeps it off.
 */
export function packerDebugLog(runnerDebug: boolean, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return runnerDebug && env.PACKER_LOG === undefined ? { PACKER_LOG: '1' } : {}
}

/**
 * Packer's arguments as a debug line shows them: each `-var`'s value left out, as it may be a
 * secret the runner masks only whole (one with a line break would show, escaped, in one line).
 */
export function shownArguments(args: string[]): string {
  return args.map((arg, index) => (args[index - 1] === '-var' ? `${arg.split('=')[0]}=…` : arg)).join(' ')
}
