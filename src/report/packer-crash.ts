// What the step says when Packer itself crashed (a Go panic): a bug in Packer or in one of its
// plugins, not in the template, with the panic's first line and where Packer's report of it is.
import { relative } from 'node:path'
import { cutSafely } from '../common/cut.js'
import type { CrashReport } from '../packer/crash-log.js'
import type { PackerPanic } from '../packer/run.js'
import { masked } from './masks.js'

/** How much of the panic's first line is shown: a panic's value may be any text. */
const panicRoom = 300

/** The crash of a Packer command (runPacker's `panicked`), in a few sentences; `workspace` to name a report left in it. */
export function packerCrashed({ command, crash, report }: PackerPanic, workspace: string): string {
  const [whose, issues] = crash.plugin
    ? [`the plugin ${crash.plugin}`, `https://${crash.plugin}/issues`]
    : ['Packer', 'https://github.com/hashicorp/packer/issues']
  return `Packer crashed during ${command} (${panicOf({ crash })}): a bug in ${whose}, not in the template. ${crashReportWhere(report, workspace)}; please report the crash at ${issues}.`
}

/**
 * A crash that a mistake in the template, named on its own, explains (Packer 1.6.6 panics on a
 * provisioner's duration it cannot read): that Packer crashed on it, and where its report is.
 */
export function crashedOnTheMistake(panicked: PackerPanic, workspace: string): string {
  return `Packer crashed during ${panicked.command} (${panicOf(panicked)}) rather than name the mistake. ${crashReportWhere(panicked.report, workspace)}.`
}

function panicOf({ crash }: Pick<PackerPanic, 'crash'>): string {
  return cutSafely(masked(crash.panic), panicRoom, ' …')
}

/** Where Packer's crash report is: moved out of the checkout, left in it, or not written. */
function crashReportWhere(report: CrashReport | undefined, workspace: string): string {
  if (report === undefined) return 'Packer could not write its crash report; the stack trace is in the log'
  if (report.moved) return `Packer's crash report is at ${report.path} (moved out of the checkout, where Packer wrote it as crash.log)`
  const where = `Packer's crash report is ${relative(workspace, report.path)} in the checkout`
  return report.heldBefore ? `${where} (one was there before the run: left where it is)` : `${where} (it could not be moved out)`
}
