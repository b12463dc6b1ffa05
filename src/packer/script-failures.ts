// Which provisioner's script failed a build. Packer says only the build and "Script exited with
// non-zero exit status: 2"; its log says each script a shell or shell-local provisioner begins
// (RunRecord.scriptsBegun). The build's provisioners of those types, in the template's order,
// run one script each for `inline` or `script`, one per entry of `scripts`: the last script begun
// is one of the provisioner whose scripts hold it. Loaded only when a build failed so.
import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser'
import { hclBuildNames, hclBuildSources, hclTemplateFiles, parseHclFile, type HclBody } from '../inputs/hcl.js'
import { runsByOnlyExcept } from '../inputs/build-selection.js'
import { positionOf, type JsonTemplateSource } from '../inputs/template.js'
import { rootEntry } from '../common/json-place.js'
import type { TemplateError } from './template-errors.js'

/** The provisioners that say each script they begin (RunRecord.scriptsBegun). */
const scriptTypes = ['shell', 'shell-local']
/**
 * Provisioners that run no script. Any other (`powershell`, `windows-shell`, a plugin's) may fail
 * with the same words without saying that it began a script: in a build that runs one, the
 * count cannot tell whose script failed.
 */
const scriptlessTypes = ['file', 'breakpoint']

/** A provisioner that runs scripts, as far as the template tells before the build. */
interface ScriptProvisioner {
  /** How many scripts it runs; undefined when only Packer knows. */
  scripts?: number
  /** Whether it runs in the build; undefined when only Packer knows. */
  runs?: boolean
  file: string
  line?: number
  column?: number
  /** A provisioner that may fail with the same words, whose scripts are not counted. */
  uncounted?: boolean
}

/** The template whose provisioners ran: a JSON one as the inputs read it, or an HCL2 one's file or directory (absolute). */
export type ScriptTemplate = { kind: 'json'; json: Pick<JsonTemplateSource, 'path' | 'text'> } | { kind: 'hcl'; template: string }

/**
 * Where the provisioner is whose script `build` began as its `begun`th (from 1), and failed
 * with; undefined where the template does not tell it for certain.
 */
export async function locateFailedScript(
  build: string,
  begun: number,
  template: ScriptTemplate,
  workingDirectory: string
): Promise<Pick<TemplateError, 'file' | 'line' | 'column'> | undefined> {
  const found =
    template.kind === 'json'
      ? jsonScriptProvisioners(template.json.text, build, relative(workingDirectory, template.json.path))
      : await hclScriptProvisioners(build, workingDirectory, template.template)
  if (found === undefined) return undefined
  const { provisioners, cleanup } = found
  // The error-cleanup-provisioner runs after the failure: its scripts are begun after it. Left
  // to Packer where whether it runs in the build (only, except) is not certain.
  if (cleanup !== undefined) {
    if (cleanup.runs !== true || cleanup.scripts === undefined) return undefined
    begun -= cleanup.scripts
  }
  if (provisioners.some(({ uncounted, runs }) => uncounted === true && runs !== false)) return undefined
  let counted = 0
  for (const { scripts, runs, file, line, column } of provisioners) {
    if (runs === false) continue
    if (runs === undefined || scripts === undefined) return undefined
    counted += scripts
    if (begun <= counted) return { file, line, column }
  }
  return undefined
}

/** How many scripts a provisioner's settings run: `inline` or `script`, one; `scripts`, one each. */
function scriptCount(inline: unknown, script: unknown, scripts: unknown): number | undefined {
  if (Array.isArray(scripts)) return scripts.length
  if (scripts !== undefined) return undefined
  return inline !== undefined || script !== undefined ? 1 : undefined
}

/** The provisioners that run scripts in a build, in order, and its error-cleanup-provisioner if it runs scripts. */
interface BuildScripts {
  provisioners: ScriptProvisioner[]
  cleanup?: ScriptProvisioner
}

/** A JSON template's provisioners that run scripts, in order, each on its `type`. */
function jsonScriptProvisioners(text: string, build: string, file: string): BuildScripts {
  const root = parseTree(text)
  const list = root && rootEntry(root, 'provisioners')
  const cleanup = root && rootEntry(root, 'error-cleanup-provisioner')
  return {
    provisioners: (list?.type === 'array' ? (list.children ?? []) : []).flatMap((node) => jsonScriptProvisioner(node, text, build, file)),
    cleanup: cleanup && jsonScriptProvisioner(cleanup, text, build, file)[0]
  }
}

/** A JSON template's provisioner, on its `type`, if it runs scripts. */
function jsonScriptProvisioner(node: Node, text: string, build: string, file: string): ScriptProvisioner[] {
  const value = (key: string): Node | undefined => findNodeAtLocation(node, [key])
  const plain = (at: Node | undefined): unknown => (at?.type === 'array' ? (at.children ?? []).map((entry) => entry.value) : at?.value)
  const type = node.type === 'object' ? value('type') : undefined
  if (!type || scriptlessTypes.includes(type.value)) return []
  const runs = runsByOnlyExcept(build, plain(value('only')), plain(value('except')))
  if (!scriptTypes.includes(type.value)) return [{ uncounted: true, runs, file }]
  return [
    {
      scripts: scriptCount(plain(value('inline')), plain(value('script')), plain(value('scripts'))),
      runs,
      file,
      ...positionOf(text, type.offset)
    }
  ]
}

/**
 * An HCL2 template's provisioners that run scripts in `build` (`[BUILD_NAME.]TYPE.NAME`), in
 * order, each on its first setting; undefined when its files or build blocks do not tell their
 * order for certain. Several build blocks may build one source under one name (none of them
 * named): Packer's log tells their scripts apart from none, and stops being read for that name
 * once one of them finishes, so those are left to Packer.
 */
async function hclScriptProvisioners(build: string, workingDirectory: string, template: string): Promise<BuildScripts | undefined> {
  const { blockLabelOrder, settingPosition } = await import('../inputs/hcl-parser.js')
  const running: ScriptProvisioner[][] = []
  for (const path of hclTemplateFiles(template)) {
    if (!path.endsWith('.pkr.hcl')) continue
    const text = await readFile(path, 'utf8')
    const body = await parseHclFile(path, text)
    const builds = Array.isArray(body.build) ? (body.build as HclBody[]) : []
    for (const [index, block] of builds.entries()) {
      // A source block that renames its source leaves which name only and except match to Packer.
      const renamed = Object.values((block.source ?? {}) as Record<string, HclBody[]>).some((added) => added.some((settings) => settings.name !== undefined))
      // Packer takes a source in `sources` as `TYPE.NAME` too, which hclBuildNames does not read.
      const names = hclBuildNames([{ build: [block] }]) ?? (renamed ? undefined : hclBuildSources(block).map((source) => prefixed(block, source)))
      if (names === undefined) return undefined
      if (!names.includes(build)) continue
      // Packer 1.6.6 has none in HCL2; later versions begin its scripts after the failure.
      const cleanup = Object.keys((block['error-cleanup-provisioner'] ?? {}) as HclBody)
      if (cleanup.some((type) => scriptTypes.includes(type))) return undefined
      const byType = (block.provisioner ?? {}) as Record<string, HclBody[]>
      const order = await blockLabelOrder(path, text, ['build', index], 'provisioner')
      if (order === undefined) return undefined
      const seen = new Map<string, number>()
      const found: ScriptProvisioner[] = []
      for (const type of order) {
        const number = seen.get(type) ?? 0
        seen.set(type, number + 1)
        const settings = byType[type]?.[number]
        if (settings === undefined || scriptlessTypes.includes(type)) continue
        const selects = settings.only !== undefined || settings.except !== undefined
        const runs = renamed && selects ? undefined : runsByOnlyExcept([build, build.split('.').slice(-2).join('.')], settings.only, settings.except)
        if (!scriptTypes.includes(type)) {
          found.push({ uncounted: true, runs, file: relative(workingDirectory, path) })
          continue
        }
        const [first] = Object.keys(settings)
        const place = first === undefined ? undefined : await settingPosition(path, text, ['build', index, 'provisioner', type, number, first])
        found.push({
          scripts: scriptCount(settings.inline, settings.script, settings.scripts),
          runs,
          file: relative(workingDirectory, path),
          ...place
        })
      }
      running.push(found)
    }
  }
  return running.length === 1 ? { provisioners: running[0] } : undefined
}

/** A source's build name in a build block: `BUILD_NAME.TYPE.NAME` in a named block. */
function prefixed(block: HclBody, source: string): string {
  return typeof block.name === 'string' && block.name !== '' ? `${block.name}.${source}` : source
}
