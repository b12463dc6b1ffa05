// What the step says when Packer itself crashed (a Go panic): a bug in Packer or in one of its
// plugins, not in the template, with the panic's first line and where Packer's report of it is.
import { relative } from 'node:path'
import { cutSafely } from '../common/cut.js'
import type { CrashReport } from '../packer/crash-log.js'
import type { PackerCrash } from '../packer/machine-readable.js'
import { masked } from './masks.js'

/** How much of the panic's first line is shown: a panic's value may be any text. */
const panicRoom = 300

/** The crash of `command` (`packer build`), in a few sentences; `workspace` to name a report left in it. */
export function packerCrashed(command: string, crash: PackerCrash, report: CrashReport | undefined, workspace: string): string {
  const [whose, issues] = crash.plugin
    ? [`the plugin ${crash.plugin}`, `https://${crash.plugin}/issues`]
    : ['Packer', 'https://github.com/hashicorp/packer/issues']
  const panic = cutSafely(masked(crash.panic), panicRoom, ' …')
  const where =
    report === undefined
      ? 'Packer could not write its crash report; the stack trace is in the log'
      : report.moved
        ? `Packer's crash report is at ${report.path} (moved out of the checkout, where Packer wrote it as crash.log)`
        : `Packer's crash report is ${relative(workspace, report.path)} in the checkout (one was there before the run: left where it is)`
  return `Packer crashed during ${command} (${panic}): a bug in ${whose}, not in the template. ${where}; please report the crash at ${issues}.`
}
