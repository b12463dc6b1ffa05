// What of `build.*` a Packer fills in where a template reads it. packer validate checks a
// post-processor's settings against every attribute a provisioner gets, build.name included;
// Packer before 1.7.7 (hashicorp/packer#11323) then configures the post-processor again after
// the build with only what the builder generated, build.name not among it: the post-processor
// fails with `Unsupported attribute`, and Packer deletes the AMIs it has just made. Provisioners
// get build.name from 1.6.5 on, the version that brought it (before, validate refuses it).
// The connection values (build.Host, …) are generated only once Packer has connected: a build
// whose communicator is "none" lacks them, and so fails the same way; build.ID and
// build.PackerRunUUID it has (PopulateProvisionHookData in Packer's plugin SDK). So does an
// amazon-chroot build: it runs on the machine Packer runs on, connects nothing, and takes no
// `communicator` setting (StepChrootProvision, Packer 1.6.6 and the Amazon plugin).
// A post-processor fails only in a build that runs it: only and except (-only/-except) may leave
// its build out, or, in except, name the post-processor, which Packer then skips.
import { openSync, readSync, closeSync } from 'node:fs'
import { resolve } from 'node:path'
import lt from 'semver/functions/lt.js'
import valid from 'semver/functions/valid.js'
import { connectingFailures, connectingProvisioners, connectionAttributes } from './connecting-provisioners.js'
import { matchesAny } from './hcl-build-selection.js'
import type { InputProblem, ProblemLocation } from './reader.js'
import type { MissingFileProblem } from './template-references.js'

/** A `build.*` attribute a block's setting reads, and where it is written. */
export interface BuildVariableUse {
  attribute: string
  /** The kind of block the setting is in, and its type (`manifest`). */
  block: 'post-processor'
  type: string
  /** The template file, as the log shows it, and where in it the setting is. */
  file: string
  line?: number
  column?: number
  /** The builds that run the block: its own only/except (Packer's, not the inputs) may leave some out. */
  builds: BuildOfUse[]
}

/** A build that runs a block reading `build.*`. */
export interface BuildOfUse {
  /** As -only and -except match it (`release.amazon-ebs.web`); undefined when only Packer knows it. */
  name?: string
  /** The source it builds, as the template defines it (`amazon-ebs.web`). */
  source: string
  /**
   * Why the build connects no communicator, when it connects none: its source's communicator
   * is "none", or its source is an amazon-chroot, which never connects.
   */
  withoutCommunicator?: 'none' | 'chroot'
  /**
   * The names an except entry skips the block by in this build: its own (its type when unnamed),
   * and those of the post-processors before it in its chain that the build runs, since Packer
   * skips the rest of a chain from the post-processor it excepts.
   */
  skippedBy: string[]
}

/** Input only and except, as Packer gets them. */
export interface Selection {
  only: string[]
  except: string[]
}

interface MissingRule {
  block: BuildVariableUse['block']
  attribute: string
  /** The first Packer that gives it there. */
  from: string
  /** Missing only from a build that connects no communicator. */
  withoutCommunicator?: true
}

/** The attributes a Packer before `from` accepts in validate but lacks when the block runs. */
const missingUntil: MissingRule[] = [
  { block: 'post-processor', attribute: 'name', from: '1.7.7' },
  ...connectionAttributes.map((attribute): MissingRule => ({ block: 'post-processor', attribute, from: '1.7.7', withoutCommunicator: true }))
]

/**
 * A problem for each use that `packerVersion` would fail on after the build, in a build that
 * `selection` runs: the job stops before the build rather than let Packer make the AMIs and
 * delete them.
 */
export function buildVariableProblems(uses: BuildVariableUse[], packerVersion: string, selection: Selection): InputProblem[] {
  const version = valid(packerVersion)
  if (version === null) return []
  return uses.flatMap((use) => {
    const rule = missingUntil.find(({ block, attribute }) => block === use.block && attribute === use.attribute)
    if (!rule || !lt(version, rule.from)) return []
    const failing = use.builds.filter((build) => runs(build, selection) && (!rule.withoutCommunicator || build.withoutCommunicator))
    if (failing.length === 0) return []
    const what = `build.${use.attribute}`
    const failure =
      `packer validate accepts it, but the ${use.block} fails after the build ("Unsupported attribute") and Packer deletes ` +
      'the AMIs it made.'
    const message = rule.withoutCommunicator
      ? `${use.block} "${use.type}" reads ${what}, which Packer ${packerVersion} does not give a ${use.block} of a build ` +
        `that connects no communicator (${withoutCommunicator(failing)}): ${failure} From Packer ${rule.from} it no ` +
        `longer fails, and reads "<unknown>" there: set packer-version: ">=${rule.from}", ` +
        `${failing.some((build) => build.withoutCommunicator === 'none') ? 'give the source a communicator, ' : ''}` +
        `or do not use ${what} in this ${use.block}.`
      : `${use.block} "${use.type}" reads ${what}, which Packer ${packerVersion} does not give a ${use.block} once the ` +
        `build is done: ${failure} ${what} works there from Packer ${rule.from}: set packer-version: ">=${rule.from}", ` +
        `or do not use ${what} in this ${use.block}.`
    return [{ message, location: { file: use.file, line: use.line, column: use.column } }]
  })
}

/**
 * A provisioner that fails where it runs on a runner (one that works only through a communicator,
 * a breakpoint, a shell-local whose script's path the shell cannot run), or whose script the
 * system cannot run (a shell-local's, or a shell's with `binary`, saved with CRLF line endings),
 * or a shell-local post-processor, where it is written, and the builds that run it.
 */
export interface ProvisionerUse {
  type: string
  /** A provisioner, or the error-cleanup-provisioner, which Packer runs once the build has failed. */
  block: 'provisioner' | 'error-cleanup-provisioner' | 'post-processor'
  /** The template's kind: the way out is told in its own syntax. */
  kind: 'json' | 'hcl'
  location: ProblemLocation
  builds: BuildOfUse[]
  /** A breakpoint's `disable`: undefined when only Packer knows it. */
  disabled?: boolean
  /**
   * A shell-local's scripts that Packer runs with its default execute_command (shellLocalScripts), or a
   * shell's that it uploads as they are and runs as files (binaryShellScripts), each where it is written.
   */
  scripts?: Array<{ path: string; location: ProblemLocation }>
  /** What its settings read of the data only a communicator gives a build (connectionAttributes), each where it is written. */
  connectionReads?: ConnectionRead[]
}

/**
 * A read of a value a communicator gives a build (`{{ build `Host` }}`, `${build.Host}`, `{{ .Host }}`
 * in a command), in a setting of a provisioner or post-processor, and what Packer does with it in a
 * build that connects none.
 */
export interface ConnectionRead {
  /** The setting as the error names it: `inline`, `h in custom_data`. */
  setting: string
  /** The read as written, and the attribute it reads (`Host`). */
  read: string
  attribute: string
  /**
   * What Packer 1.6.6 puts there in a build that connects none: the text "<no value>" (Go's template,
   * JSON and HCL2 alike) or "<unknown>" (HCL2's build.Host); or the build fails (`{{ build `Host` }}`
   * in a command, which Packer renders as it runs it).
   */
  gets: '<no value>' | '<unknown>' | 'failure'
  /** Whether a shell runs the text as a command, where "<no value>" unquoted is a redirection. */
  command: boolean
  location: ProblemLocation
  /** The build a JSON provisioner's override gives the setting to: in no other build is it read. */
  onlyIn?: string
  /** The builds whose override gives the setting another value: the provisioner's own is not read there. */
  notIn?: string[]
}

/**
 * A problem for each provisioner that cannot work in a build that `selection` runs: one that
 * needs a connection, where the build's communicator is "none" (Packer validates it, then launches
 * the instance for it to fail on), and a breakpoint that is not disabled, which waits for someone
 * to press Enter: Packer runs with -machine-readable, whose UI cannot ask, and fails the build;
 * and a shell-local's or shell's script that the system cannot run (shellLocalProblems, binaryShellProblems).
 * `packerVersion`: the release that runs the template, undefined while latest or a range has not
 * resolved to one (awaitsPackerVersion).
 */
export function provisionerProblems(uses: ProvisionerUse[], selection: Selection & { workingDirectory: string }, packerVersion?: string): InputProblem[] {
  return uses.flatMap((use) => {
    if (awaitsPackerVersion(use) && (packerVersion === undefined || lt(packerVersion, hclErrorCleanupSince))) return []
    if (use.type === 'shell-local') return [...shellLocalProblems(use, selection), ...connectionReadProblems(use, selection)]
    const message =
      use.type === 'breakpoint' ? breakpointProblem(use, selection) : connectingProvisioners.includes(use.type) ? connectionProblem(use, selection) : undefined
    const scripts = use.type === 'shell' ? binaryShellProblems(use, selection) : []
    return message === undefined ? [...connectionReadProblems(use, selection), ...scripts] : [{ message, location: use.location }, ...scripts]
  })
}

/**
 * Packer reads an HCL2 build block's error-cleanup-provisioner from 1.7.0 on (hashicorp/packer
 * 774c5903f); before, packer validate refuses the block itself ("Unsupported block type"), on its
 * line, which then says more than any other problem with it.
 */
const hclErrorCleanupSince = '1.7.0'

/**
 * Whether the problems of `use` depend on the Packer that runs it: an HCL2 error-cleanup-provisioner,
 * which provisionerProblems checks only once it knows the release (packer-version names one, or
 * latest or a range has resolved to one).
 */
export function awaitsPackerVersion(use: ProvisionerUse): boolean {
  return use.kind === 'hcl' && use.block === 'error-cleanup-provisioner'
}

function connectionProblem(use: ProvisionerUse, selection: Selection): string | undefined {
  const failing = use.builds.filter((build) => build.withoutCommunicator === 'none' && runs(build, selection))
  if (failing.length === 0) return undefined
  const fails =
    use.block === 'provisioner'
      ? 'Packer launches the instance and the provisioner fails there'
      : 'once the build has failed, Packer runs it on the instance, where it fails too'
  return (
    `${use.block} "${use.type}" runs on the instance through a communicator, and its build connects none ` +
    `(${withoutCommunicator(failing, use.kind)}): packer validate accepts it, but ${fails}${connectingFailures[use.type] ?? ''}. ` +
    `Give ${givenCommunicator(use.kind)}, or run the commands on the runner with a shell-local provisioner.`
  )
}

/** How the way out names a communicator, in the template's own syntax. */
function givenCommunicator(kind: ProvisionerUse['kind']): string {
  return kind === 'json' ? 'the builder a communicator ("communicator": "ssh", with "ssh_username")' : 'the source a communicator (communicator = "ssh", with ssh_username)'
}

/**
 * A problem for each read of a value only a communicator gives (ConnectionRead) in a build that
 * `selection` runs whose communicator is "none": Packer validates it, then, as the provisioner
 * runs once the instance is launched (the post-processor once the AMIs are made), puts a text
 * there that is no value, and the build goes on with it; or fails, for `{{ build }}` in a command.
 * Measured with Packer 1.6.6, shell-local and manifest on the loopback endpoint. An amazon-chroot
 * build, which connects nothing either, could not be run here: left to Packer.
 */
function connectionReadProblems(use: ProvisionerUse, selection: Selection): InputProblem[] {
  const none = use.builds.filter((build) => build.withoutCommunicator === 'none' && runs(build, selection))
  if (none.length === 0) return []
  // One problem a string: the first read of it, a failure before a wrong value.
  const told = new Set<string>()
  return (use.connectionReads ?? []).flatMap(({ setting, read, attribute, gets, command, location, onlyIn, notIn }) => {
    const failing = none.filter(({ name }) => (onlyIn === undefined || name === onlyIn) && !notIn?.includes(name ?? ''))
    const place = JSON.stringify(location)
    if (failing.length === 0 || told.has(place)) return []
    told.add(place)
    const when = use.block === 'post-processor' ? 'once it has made the AMIs' : 'once it has launched the instance'
    const what =
      gets === 'failure'
        ? `the build fails ${when.replace('it has', 'Packer has')} ("error calling build: loaded data, but couldnt find ${attribute} in it")`
        : `Packer gives it the text "${gets}", ${when}, and the ${use.block} runs with that` +
          (command && gets === '<no value>' ? ' (unquoted, a shell reads its < and > as redirections and fails)' : '')
    const given = use.kind === 'json' ? "{{ build `ID` }} (the instance's ID), {{ build `PackerRunUUID` }}" : "build.ID (the instance's ID), build.PackerRunUUID"
    const message =
      `${setting} of ${use.block} "${use.type}" reads ${read}, which Packer has only from a communicator, and its build connects none ` +
      `(${withoutCommunicator(failing, use.kind)}): packer validate accepts it, but ${what}. Give ${givenCommunicator(use.kind)}, ` +
      `or do not read ${attribute} there: ${given} and the source AMI's data have values without one.`
    return [{ message, location }]
  })
}

/**
 * The characters that end a word or start an expansion in an unquoted word of /bin/sh: blanks,
 * quotes, a backslash, the operators, and a `$` before a name, a digit, a special parameter, `{`
 * or `(`. Glob characters are left out: a pattern that matches nothing, or the file alone, stays
 * the path.
 */
const unquotedBreaks = /[ \t\n'"`\\;&|<>()]|\$(?=[A-Za-z0-9_{(@*#?!$-])/

/** The default execute_command as Packer's shell-local has it on Linux and macOS (packer-plugin-sdk shell-local/config.go). */
const defaultExecuteCommand = '["/bin/sh", "-c", "{{.Vars}} {{.Script}}"]'

/**
 * A shell-local's scripts whose paths /bin/sh cannot run unquoted: Packer runs a script in place,
 * by its absolute path in Packer's working directory, pasted unquoted into the default
 * execute_command, so that `scripts/set up.sh` runs `…/scripts/set` (exit 127, "not found"):
 * after the instance is launched, for a provisioner.
 */
function shellLocalProblems(use: ProvisionerUse, selection: Selection & { workingDirectory: string }): InputProblem[] {
  if (!use.builds.some((build) => runs(build, selection))) return []
  const when = failsWhen[use.block]
  const runsIt = (script: string): string =>
    `${use.block} "shell-local" runs the script "${script}" with Packer's default execute_command ${defaultExecuteCommand}, which runs the file itself`
  return (use.scripts ?? []).flatMap(({ path, location }) => {
    const absolute = resolve(selection.workingDirectory, path)
    const found = unquotedBreaks.exec(absolute)?.[0]
    if (found === undefined) return crlfInterpreterProblem({ path, absolute, location }, runsIt, '"not found"', when)
    const character = found === ' ' ? 'a space' : found === '\t' ? 'a tab' : found === '\n' ? 'a line break' : `"${found}"`
    const quoted = `["/bin/sh", "-c", "{{.Vars}} '{{.Script}}'"]`
    const setting = use.kind === 'json' ? `"execute_command": ${quoted}` : `execute_command = ${quoted}`
    const way = absolute.includes("'") ? 'Rename the file or its folder' : `Rename the file or its folder, or quote the path: set ${setting}`
    const message =
      `${use.block} "shell-local" runs the script "${onOneLine(path)}" with Packer's default execute_command ${defaultExecuteCommand}, ` +
      `which puts its path (${onOneLine(absolute)}) in the command unquoted, and the path holds ${character}, which the shell does not ` +
      `read as part of it: packer validate accepts it, but the script does not run and the build fails ${when}. ${way}.`
    return [{ message, location }]
  })
}

/** When a block's failure stops the build. */
const failsWhen: Record<ProvisionerUse['block'], string> = {
  provisioner: 'once Packer has launched the instance',
  'error-cleanup-provisioner': 'once the build has failed',
  'post-processor': 'once Packer has made the AMIs'
}

/**
 * A shell provisioner's scripts that Packer uploads as they are, with `binary` set, and runs as
 * files (binaryShellScripts), saved with Windows line endings and a `#!` line: without `binary`,
 * the upload makes their line endings LF, and they run.
 */
function binaryShellProblems(use: ProvisionerUse, selection: Selection & { workingDirectory: string }): InputProblem[] {
  if (!use.builds.some((build) => runs(build, selection))) return []
  const binary = use.kind === 'json' ? '"binary": true' : 'binary = true'
  const runsIt = (script: string): string => `${use.block} "shell" with ${binary} uploads the script "${script}" as it is, and runs the file itself`
  const otherWay = `, or leave out ${binary}: Packer then makes its line endings LF as it uploads it`
  return (use.scripts ?? []).flatMap(({ path, location }) =>
    crlfInterpreterProblem({ path, absolute: resolve(selection.workingDirectory, path), location }, runsIt, '"bad interpreter"', failsWhen[use.block], otherWay)
  )
}

/**
 * A script saved with Windows line endings (CRLF) whose first line names its interpreter, which
 * Packer runs as a file as it is (shell-local always, shell with `binary`): the system then looks
 * for an interpreter whose name ends in a carriage return (`/bin/bash\r`), which is not there
 * (/bin/sh says the script is "not found", bash that its interpreter is bad). `runsIt` says how
 * the block runs the script (as written, on one line); `fails`, what the failure says; `otherWay`,
 * a way out besides LF line endings. A file that cannot be read is left to Packer.
 */
function crlfInterpreterProblem(
  script: { path: string; absolute: string; location: ProblemLocation },
  runsIt: (script: string) => string,
  fails: string,
  when: string,
  otherWay = ''
): InputProblem[] {
  const line = firstLine(script.absolute)
  if (line === undefined || !line.startsWith('#!') || !line.endsWith('\r')) return []
  const shown = onOneLine(line.slice(0, -1))
  const message =
    `${runsIt(onOneLine(script.path))}, and the file has Windows line endings (CRLF): its first line "${shown}" ends with a carriage ` +
    `return, which the system reads as part of the interpreter's name. packer validate accepts it, but the ` +
    `script does not run (${fails}) and the build fails ${when}. Save the script with LF line endings (in .gitattributes: *.sh text eol=lf)${otherWay}.`
  return [{ message, location: script.location }]
}

/** The first line of a file, with its carriage return if it has one; undefined when it cannot be read or has no line end in its first 4 KiB. */
function firstLine(file: string): string | undefined {
  let descriptor: number | undefined
  try {
    descriptor = openSync(file, 'r')
    const buffer = Buffer.alloc(4096)
    const text = buffer.subarray(0, readSync(descriptor, buffer, 0, buffer.length, 0)).toString('utf8')
    const end = text.indexOf('\n')
    return end < 0 ? undefined : text.slice(0, end)
  } catch {
    return undefined
  } finally {
    if (descriptor !== undefined) closeSync(descriptor)
  }
}

/** A path with its line breaks written `\n` (a heredoc's value ends with one), so that the message stays on its line. */
function onOneLine(path: string): string {
  return path.replaceAll('\r', '\\r').replaceAll('\n', '\\n')
}

function breakpointProblem(use: ProvisionerUse, selection: Selection): string | undefined {
  if (use.block !== 'provisioner' || use.disabled !== false || !use.builds.some((build) => runs(build, selection))) return undefined
  const disable = use.kind === 'json' ? '"disable": true' : 'disable = true'
  return (
    `provisioner "breakpoint" waits for someone to press Enter, which nobody can in a workflow: Packer builds with ` +
    `-machine-readable, which cannot ask, so packer validate accepts it but the build fails there ("machine-readable UI ` +
    `can't ask"). Remove the provisioner, or set ${disable}.`
  )
}

/**
 * The files the template names that are not there at all (missingReferences), of those that a
 * build `selection` runs reads: Packer's validate prepares only those builds, and refuses only
 * their files. With -only or -except, one of a build whose name only Packer knows, or whose
 * builds the action does not tell, is left to Packer.
 */
export function missingFilesRead(problems: MissingFileProblem[], selection: Selection): InputProblem[] {
  const kept = selection.only.length === 0 && selection.except.length === 0 ? problems : problems.filter(({ builds }) => builds?.some((build) => build.name !== undefined && runs(build, selection)))
  return kept.map(({ builds: _, ...problem }) => problem)
}

/**
 * Whether Packer runs the block in `build` with these -only/-except: the build is selected
 * (one whose name only Packer knows may be), and except names neither the block nor one
 * before it in its chain.
 */
function runs(build: Pick<BuildOfUse, 'name' | 'skippedBy'>, { only, except }: Selection): boolean {
  if (build.name !== undefined) {
    const names = [build.name]
    if (only.length > 0 && !only.some((entry) => matchesAny(names, entry))) return false
    if (except.some((entry) => matchesAny(names, entry))) return false
  }
  return !except.some((entry) => matchesAny(build.skippedBy, entry))
}

/**
 * Why the failing builds connect no communicator: `communicator = "none"`, or amazon-chroot
 * sources. Each build is named as Packer and the outputs name it (`aws.amazon-ebs.web` for a
 * build block named aws), by its source where only Packer knows its name.
 */
function withoutCommunicator(failing: BuildOfUse[], kind: ProvisionerUse['kind'] = 'hcl'): string {
  const builds = (reason: BuildOfUse['withoutCommunicator']): string[] =>
    [...new Set(failing.filter((build) => build.withoutCommunicator === reason).map(({ name, source }) => name ?? source))]
  const none = builds('none')
  const chroot = builds('chroot')
  const reasons: string[] = []
  const setting = kind === 'json' ? '"communicator": "none"' : 'communicator = "none"'
  if (none.length > 0) reasons.push(`${none.join(', ')} ${none.length === 1 ? 'has' : 'have'} ${setting}`)
  if (chroot.length > 0) {
    const what = chroot.length === 1 ? 'is an amazon-chroot build, which never connects' : 'are amazon-chroot builds, which never connect'
    reasons.push(`${chroot.join(', ')} ${what}`)
  }
  return reasons.join('; ')
}
