// Packer's -machine-readable output: one event per line, `timestamp,target,type,data...`.
// Inside data, commas are written as %!(PACKER_COMMA) and newlines as a literal \n; the target,
// a build's name, is written as it is (packer/ui.go, MachineReadableUi.Machine).
import { Buffer } from 'node:buffer'
import { regionName } from '../common/regions.js'
import { saysCredentialsExpired } from '../common/expired-credentials.js'
import { refusedCredentialsCode } from '../common/refused-credentials.js'

export interface PackerEvent {
  timestamp: string
  /** The build name, or '' for events about the whole run (ui lines, error-count). */
  target: string
  type: string
  data: string[]
}

export function unescapeField(field: string): string {
  // Most fields hold neither escape: skip the three scans.
  if (!field.includes('%!(') && !field.includes('\\')) return field
  return field
    .replaceAll('%!(PACKER_COMMA)', ',')
    .replaceAll('\\n', '\n')
    .replaceAll('\\r', '\r')
}

/**
 * Parses one line; anything that is not a machine-readable event (e.g. a panic) is undefined.
 * `namesWithCommas` (commaNames) are the template's builds whose names hold a comma, which a
 * JSON builder's `name` may: a line that goes on with one of them and a comma is that build's,
 * where its target would otherwise end at its first comma.
 */
export function parseEventLine(line: string, namesWithCommas: readonly string[] = []): PackerEvent | undefined {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line
  const afterTimestamp = text.indexOf(',')
  if (afterTimestamp < 0 || !/^\d+$/.test(text.slice(0, afterTimestamp))) return undefined
  const named = namesWithCommas.find((name) => text.startsWith(name, afterTimestamp + 1) && text[afterTimestamp + 1 + name.length] === ',')
  const afterTarget = named === undefined ? text.indexOf(',', afterTimestamp + 1) : afterTimestamp + 1 + named.length
  if (afterTarget < 0) return undefined
  const afterType = text.indexOf(',', afterTarget + 1)
  const type = afterType < 0 ? text.slice(afterTarget + 1) : text.slice(afterTarget + 1, afterType)
  const data = afterType < 0 ? [] : text.slice(afterType + 1).split(',').map(unescapeField)
  return {
    timestamp: text.slice(0, afterTimestamp),
    target: text.slice(afterTimestamp + 1, afterTarget),
    type,
    data
  }
}

/** The build names that hold a comma, longest first, as parseEventLine takes them. */
export function commaNames(buildNames: readonly string[]): string[] {
  return buildNames.filter((name) => name.includes(',')).sort((a, b) => b.length - a.length)
}

/**
 * The longest line of Packer's that is kept: a script can print a line of any length (a file
 * `base64 -w0`ed, a binary `cat`ed), which Packer prints whole, and both the action and the
 * runner, which reads the log a line at a time, would hold all of it. The rest of a longer line
 * is counted, not kept. A script's stderr reaches Packer's errors, of which the run record keeps
 * a hundred; and the runner's live log shows 1024 characters of a line.
 */
export const maxLineBytes = 64 * 1024

/** A line's bytes as a range of `bytes`, and how many more it had that were not kept (maxLineBytes). */
export type LineHandler = (bytes: Buffer, start: number, end: number, dropped: number) => void

/**
 * Splits a byte stream into lines as chunks arrive, without decoding it: the bytes of each
 * complete line are handed on as a range of the chunk they arrived in. Only the unfinished
 * last line is held (copied), and of a line only its first `maxBytes`, so a build log of any
 * length, and a line of any length, is handled in constant memory.
 */
export class ByteLineSplitter {
  /** The start of the unfinished line, in the pieces it arrived in. */
  private parts: Buffer[] = []
  private held = 0
  private dropped = 0

  constructor(private readonly maxBytes = maxLineBytes) {}

  push(chunk: Buffer, onLine: LineHandler): void {
    let start = 0
    let newline = chunk.indexOf(10)
    if (this.parts.length > 0 || this.dropped > 0) {
      if (newline < 0) {
        this.hold(chunk, 0, chunk.length)
        return
      }
      this.hold(chunk, 0, newline)
      this.emitHeld(onLine)
      start = newline + 1
      newline = chunk.indexOf(10, start)
    }
    while (newline >= 0) {
      const kept = Math.min(newline, start + this.maxBytes)
      const end = kept < newline ? characterStart(chunk, start, kept) : kept
      onLine(chunk, start, end, newline - end)
      start = newline + 1
      newline = chunk.indexOf(10, start)
    }
    if (start < chunk.length) this.hold(chunk, start, chunk.length)
  }

  end(onLine: LineHandler): void {
    if (this.parts.length > 0 || this.dropped > 0) this.emitHeld(onLine)
  }

  /** Keeps what fits of a piece of the unfinished line, and counts the rest. */
  private hold(chunk: Buffer, start: number, end: number): void {
    const kept = Math.min(end - start, this.maxBytes - this.held)
    if (kept > 0) {
      this.parts.push(Buffer.from(chunk.subarray(start, start + kept)))
      this.held += kept
    }
    this.dropped += end - start - kept
  }

  private emitHeld(onLine: LineHandler): void {
    const line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held)
    const end = this.dropped > 0 ? characterStart(line, 0, line.length) : line.length
    const dropped = this.dropped + line.length - end
    this.parts = []
    this.held = 0
    this.dropped = 0
    onLine(line, 0, end, dropped)
  }
}

/**
 * Where a line cut at `end` has to end instead so that its last character is whole: a line
 * shown with half a character ends in a character that is not there.
 */
function characterStart(bytes: Buffer, start: number, end: number): number {
  let lead = end - 1
  while (lead > start && lead > end - 4 && (bytes[lead] & 0xc0) === 0x80) lead--
  const first = bytes[lead]
  const length = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1
  return lead >= start && end - lead < length ? lead : end
}

const COMMA = 0x2c
const uiSay = Buffer.from('ui,say,')
const uiMessage = Buffer.from('ui,message,')

/**
 * Where the text starts in a `timestamp,,ui,say,…` or `timestamp,,ui,message,…` line, or -1
 * for any other line. These two make nearly all of a build's output and carry nothing the run
 * record keeps, so their text can go to the log as bytes, without ever becoming a string.
 */
export function uiTextStart(bytes: Buffer, start: number, end: number): number {
  let at = start
  while (at < end && bytes[at] >= 0x30 && bytes[at] <= 0x39) at++
  // Digits, then an empty target: `,,`.
  if (at === start || at + 2 > end || bytes[at] !== COMMA || bytes[at + 1] !== COMMA) return -1
  at += 2
  for (const kind of [uiSay, uiMessage]) {
    if (bytesAt(bytes, at, end, kind)) return at + kind.length
  }
  return -1
}

/**
 * Whether a line of Packer's standard error is its debug log's copy of a machine-readable line
 * (PACKER_LOG): Go's date and time, then the line as Packer wrote it on standard output, escaped
 * (`%!(PACKER_COMMA)`, `\n`). A plugin's log lines name the plugin after the time instead.
 */
export function isLoggedEventLine(bytes: Buffer, start: number, end: number): boolean {
  // Its start is enough to tell: the date and time, the line's timestamp, its target and type.
  return loggedEvent.test(bytes.toString('latin1', start, Math.min(end, start + loggedEventPrefix)))
}

const loggedEvent = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})? \d+,[^,]*,[a-z][a-z-]*,/
const loggedEventPrefix = 512

/** Whether `expected` is at `at` in `bytes`, before `end`. (Buffer.compare costs more per call.) */
export function bytesAt(bytes: Uint8Array, at: number, end: number, expected: Uint8Array): boolean {
  if (at + expected.length > end) return false
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false
  return true
}

/** An artifact announced by `artifact,I,…` events, for runs that wrote no manifest file. */
export interface AnnouncedArtifact {
  build: string
  builderId: string
  id: string
}

/**
 * A copy of a string that shares no memory with the chunk it was cut from. Lines are slices
 * of 64 KiB decoded chunks, and V8 keeps the whole chunk alive behind any slice that is kept.
 */
function detached(text: string): string {
  return (' ' + text).slice(1)
}

/**
 * Packer's own notice that it received a signal and is cancelling: it arrives as `ui,error`,
 * but it says what the user asked for, not what went wrong.
 */
export function isCancellationNotice(message: string): boolean {
  return /^Cancelling build after receiving \w+/.test(message.trim())
}

/**
 * What an amazon builder said it created and deletes again when it cleans up: the source
 * instance, the temporary key pair and the temporary security group; and, once it creates an
 * AMI, that AMI, which Packer deregisters when the build does not finish (though not the
 * AMI's copies in other regions). If Packer dies before its clean-up, these are what is left
 * in the account. Only the builds that have not finished count: a finished build has cleaned
 * up, and its AMIs are the run's.
 */
export interface TemporaryResources {
  instanceIds: string[]
  keyPairs: string[]
  securityGroups: string[]
  /** The AMI each build that has not finished announced (`AMI: ami-…`), once it made one. */
  images: string[]
  /** The instances that builds not finished began to make an AMI of (`Creating AMI … from instance i-…`). */
  imageInstances: string[]
  /**
   * The volumes that builds not finished began to snapshot, to register their AMI from the
   * snapshots (amazon-ebssurrogate: `Creating snapshot of EBS Volume vol-…...`).
   */
  snapshotVolumes: string[]
  /**
   * The launch templates that builds not finished made to launch a spot instance (`Created Spot
   * Fleet launch template: lt-…`, from Packer 1.7.0 on; before, the post step reads it off the
   * instance, which EC2 tags with the launch template it came from).
   */
  launchTemplates: string[]
  /**
   * The temporary IAM instance profile and role that builds not finished made for their instance
   * (`temporary_iam_instance_profile_policy_document`), each `packer-<UUID>`.
   */
  instanceProfiles: string[]
  roles: string[]
  /**
   * The regions that builds not finished began to copy their AMI to (`Copying to: <region>`,
   * step_ami_region_copy): Packer deregisters none of those copies, and says where they are
   * nowhere else.
   */
  copyRegions: string[]
  /**
   * Of `securityGroups`, those of builds Packer names alike of which one or more has finished:
   * Packer deleted the finished one's group, and no line tells which group was its.
   */
  groupsMayBeGone?: string[]
}

/** Nothing announced yet. */
export function noTemporaryResources(): TemporaryResources {
  return { instanceIds: [], keyPairs: [], securityGroups: [], images: [], imageInstances: [], snapshotVolumes: [], launchTemplates: [], instanceProfiles: [], roles: [], copyRegions: [] }
}

type Announced = Exclude<keyof TemporaryResources, 'images' | 'groupsMayBeGone'>

// The amazon builders' own log lines (step_run_source_instance, step_run_spot_instance,
// step_key_pair, step_security_group, step_iam_instance_profile). Only these lines count: a
// resource is never guessed from a name. A build announces its key pair, security group,
// instance profile and role (and a spot instance's launch template) before its source
// instance, and its instance once: its lines after that are its provisioners' output, which
// Packer writes with the same prefix (`==> build: ` from Packer 1.13 on, `    build: `
// before), and are not read as such announcements.
const announcedResources: Array<[RegExp, Announced]> = [
  [/^\s*.+?: Instance ID: (i-[0-9a-f]{8,17})\s*$/, 'instanceIds'],
  [/^==> .+?: Creating temporary keypair: (\S+)\s*$/, 'keyPairs'],
  [/^==> .+?: Creating temporary security group for this instance: (\S+)\s*$/, 'securityGroups'],
  [/^\s*.+?: Created Spot Fleet launch template: (lt-[0-9a-f]{8,17})\s*$/, 'launchTemplates'],
  [/^==> .+?: Creating temporary instance profile for this instance: (packer-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\s*$/, 'instanceProfiles'],
  [/^==> .+?: Creating temporary role for this instance: (packer-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\s*$/, 'roles']
]

// After its provisioners, the builder makes the AMI (step_create_ami): `Creating AMI <name>
// from instance i-…`, then, once EC2 has answered, `AMI: ami-…` (after `Attaching run tags to
// AMI...` or `Skipping …` from the Amazon plugin on). An amazon-ebssurrogate or amazon-instance
// build says `Registering the AMI...` instead (step_register_ami). A provisioner may print the
// same words, so an `AMI:` line counts only as the line of the build's that comes right after
// one of those (no provisioner runs in between); from Packer 1.13 on, a provisioner's line may
// be any of these (scriptLinesAlike). The post step takes none on trust: it looks the AMI up,
// and acts only on one that EC2 says was made from the build's own instance.
const creatingImage = /^==> .+?: Creating AMI .+ from instance (i-[0-9a-f]{8,17})\s*$/
const registeringImage = /^==> .+?: Registering the AMI\.\.\.\s*$/
const taggingImage = /^==> .+?: (?:Attaching|Skipping attaching) run tags to AMI\.\.\.\s*$/
const announcedImage = /^\s*.+?: AMI: (ami-[0-9a-f]{8,17})\s*$/
// An amazon-ebssurrogate build snapshots its instance's volumes (step_snapshot_volumes), then
// registers its AMI from the snapshots: EC2 ties that AMI to no instance.
const snapshotOfVolume = /^==> .+?: Creating snapshot of EBS Volume (vol-[0-9a-f]{8,17})\.\.\.\s*$/
// Once its AMI is made, the builder copies it (step_ami_region_copy, Packer 1.6.6 and the Amazon
// plugin alike): `Copying/Encrypting AMI (ami-…) to other regions...`, then, in one loop, a
// `Copying to: <region>` line just before the copy to that region begins (an encrypted copy into
// the build's own region too), then `Waiting for all copies to complete...`. The copies' IDs are
// never printed. A `Copying to:` line counts only once the build has said it is copying.
// With force_deregister, a build deregisters every AMI that has the name it is about to give its
// own, in each of its regions, just before it makes it (step_deregister_ami, Packer 1.6.6 and the
// Amazon plugin alike: `Deregistered AMI <name>, id: ami-…`): another build of the same run may
// have made that AMI. A build that fails once it made its AMI deregisters it (step_create_ami's
// clean-up: `Deregistered AMI id: ami-…`). The text is read as the log has it: its comma is
// Packer's `%!(PACKER_COMMA)`.
const deregisteredImage = /^==> .+?: Deregistered AMI (?:(.+) )?id: (ami-[0-9a-f]{8,17})\s*$/
const copyingImage = /^==> .+?: Copying\/Encrypting AMI \([^)]*\) to other regions\.\.\.\s*$/
const copyingTo = new RegExp(`^\\s*.+?: Copying to: (${regionName})\\s*$`)

/**
 * What Packer's shell and shell-local provisioners say as each script begins (`==> web: Running
 * local shell script: /tmp/packer-shell123`), after the build's name.
 */
const scriptBegun = /^(?:Running local shell script|Provisioning with shell script): /
/** Packer's own line once a build has run its post-processors (command/build.go, 1.6.6 to 1.16). */
const buildFinished = /^Build '(.+)' finished after /

/** An AMI a build deregistered as it cleaned up after failing (RunRecord.cleanedUpImages). */
export interface CleanedUpImage {
  build: string
  ami: string
  /** The build's last error line before it, cut short. */
  error?: string
}

/** How much of a build's error line a message quotes. */
const maxErrorShown = 300

/** The AMI a build that finished made in its own region (its copies are not announced). */
export interface FinishedImage {
  build: string
  ami: string
  /**
   * The regions the build copied that AMI to (`Copying to:`), when it copied it: its log never
   * names the copies, so without a manifest EC2 is asked for them there.
   */
  copyRegions?: string[]
  /**
   * When the log wrote the build's scripts' lines as its builder's (scriptLinesAlike): the
   * instances the build announced. Its `AMI:` line may then be a script's, naming another's
   * AMI: it is the build's only where EC2 ties it to one of them, by the AMI or by its
   * snapshots (findFinishedImages).
   */
  instances?: string[]
}

/** What one build announced, while it runs. */
interface BuildResources {
  instanceIds: string[]
  keyPairs: string[]
  securityGroups: string[]
  imageInstances: string[]
  snapshotVolumes: string[]
  launchTemplates: string[]
  instanceProfiles: string[]
  roles: string[]
  copyRegions: string[]
  /** Its AMI; those of all the builds Packer names alike (alike), which no line tells apart. */
  images: string[]
  /** Whether the build's next line may announce its AMI: its last said it was making one. */
  makingImage?: boolean
  /** Of builds named alike: how many said they were making an AMI and have not yet announced it. */
  imagesComing?: number
  /** Whether the build said it copies its AMI to other regions. */
  copyingImage?: boolean
}

/**
 * A `ui,error` line a build wrote (`==> <build>: …`): its builder's, or a line of its scripts'
 * stderr, which Packer writes so. A build that fails says why in a `<build>,error` line of its
 * own; without one (Packer killed before it could say), such a line is no reason why the run
 * failed, and a script's stderr is never taken for one.
 */
const buildOutput = /^\s*==> .+?: /

/** The name Packer gives a post-processor's lines: `<build> (<type>)` (packer/build.go, 1.6.6 to 1.16). */
const postProcessorLines = / \([^()]+\)$/

/** How Packer's own warnings begin. */
const warningPrefix = 'Warning: '
const warningBytes = Buffer.from(warningPrefix)
const finishedBytes = Buffer.from("Build '")
const arrowBytes = Buffer.from('==> ')

/**
 * Collects what the rest of the job needs from the event stream: the Packer version, the
 * artifacts, the errors and the temporary resources. Only small, bounded state is kept.
 */
/** Packer's panic: its first line (`panic: …`), and the plugin its stack names, if one (RunRecord.crash). */
export interface PackerCrash {
  panic: string
  /** As Go names its module: `github.com/hashicorp/packer-plugin-amazon`. */
  plugin?: string
}

export class RunRecord {
  version?: string
  readonly artifacts: AnnouncedArtifact[] = []
  /**
   * Packer's own warnings about the template, each on its own (`Warning: Warning when preparing
   * build: "amazon-ebs"`, a deprecated setting). A build's output never begins so: Packer puts
   * the build's name first.
   */
  readonly warnings: string[] = []
  /**
   * Packer's own `ui,error` lines: those of the run, not of a build (buildOutput). On their own
   * they say nothing about success.
   */
  private readonly uiErrors: string[] = []
  /** `<build>,error,<message>`: each failed build's own summary of why. */
  private readonly buildErrors: string[] = []
  /** The builds those name. */
  private readonly failedBuilds = new Set<string>()
  /**
   * What each build that has not finished announced, by build name. Once a build's source
   * instance is announced, what it prints next is not the builder's, but for its AMI.
   */
  private readonly builds = new Map<string, BuildResources>()
  /** How many builds' next line may announce their AMI: while any may, every line is read. */
  private makingImages = 0
  private readonly finished = new Set<string>()
  /**
   * The names Packer gives more than one build of the template (HCL2 build blocks with no name,
   * of one source, are each `TYPE.SOURCE`), with how many: their lines interleave under one name,
   * so what they announce is one build's to the record, finished only once they all are.
   */
  private readonly alike = new Map<string, number>()
  /** How many of the builds of each such name have finished. */
  private readonly finishedAlike = new Map<string, number>()
  /** How many scripts each build's shell and shell-local provisioners began (scriptBegun). */
  private readonly scripts = new Map<string, number>()
  private readonly pending = new Map<string, Partial<AnnouncedArtifact>>()
  private static readonly maxErrors = 100
  private static readonly maxResources = 100

  /**
   * Whether a build announced its instance as Packer 1.13 and later write all of a build's lines,
   * its scripts' output included (`==> <build>: `, packer/ui.go TargetedUI.Message): then no line
   * of a build after its instance tells the builder's from its scripts', and what such a line
   * names is the build's only where EC2 ties it to the build's instance. Before, the builder's
   * messages, as its scripts' output, began `    <build>: `, and its steps' `==> <build>: `,
   * unless a plugin's provisioner wrote its script's output as a step (template-files.ts).
   */
  scriptLinesAlike = false

  /**
   * The AMI of each build that finished (`AMI: ami-…`, its builder's last such line), by build:
   * they reach the outputs once Packer ends, unless the main step is killed before.
   */
  readonly finishedImages: FinishedImage[] = []

  /**
   * The AMIs the builds said they deregistered (deregisteredImage): with force_deregister, one
   * that another build of the run made under the same name is no longer in EC2. Not read once the
   * builds' scripts write their lines as the builder does (scriptLinesAlike).
   */
  readonly deregisteredImages: string[] = []

  /**
   * Of those, the ones a build deregistered in its own clean-up (the line names no AMI): the build
   * failed once it had made its AMI, though Packer 1.6.6 may still exit 0 and list the AMI as an
   * artifact (an `ami_description` it cannot render, say). With the build's last error line, if
   * it wrote one.
   */
  readonly cleanedUpImages: CleanedUpImage[] = []

  /**
   * Whether an error Packer printed says AWS refused its credentials as expired: once they have,
   * its waiters give up with no word of why (`ResourceNotReady: exceeded wait attempts`), and only
   * its clean-up's errors tell (`Error terminating instance, may still be around: RequestExpired: …`).
   */
  credentialsExpired = false

  /**
   * The code of the first error Packer printed that says AWS refused its credentials, or that it
   * found none (refusedCredentialsCode): a build fails on it at its first call.
   */
  credentialsRefused: string | undefined

  /** Each build's last error line (`==> <build>: …`, the builder's before Packer 1.13), cut short: why it cleaned up. */
  private readonly lastBuilderErrors = new Map<string, string>()

  /**
   * The template's build names that hold ": " (a JSON builder's `name` may), longest first: Packer
   * writes them before its own ": ", so a line's build is not what comes before the first one.
   */
  private readonly colonNames: Array<{ name: string; prefix: Buffer }>

  /** The template's build names that hold a comma, longest first: what reads their events' targets (parseEventLine). */
  readonly namesWithCommas: string[]

  /** The template's builds, as far as they are known; all of them when `everyBuild`. */
  private readonly buildNames: Set<string>
  private readonly everyBuild: boolean

  /**
   * The template's builds that launch no instance of their own (an `amazon-chroot` one, a `null`
   * one…): their lines are their scripts', never an announcement.
   */
  private readonly buildsWithoutInstance: Set<string>
  /** No build of the template launches an instance of its own, whatever its name. */
  private readonly noInstance: boolean

  /**
   * `onTemporaryResource` is called when a temporary resource is announced, or a build finishes,
   * e.g. to save them for the post step at once. `template` tells of the template's builds, when
   * known: their names (`everyBuild` when they are all of them), and which launch no instance of
   * their own (buildsWithoutInstance; all of them when `noInstance`); and `scriptLinesAlike`
   * when it is known before the log shows it (a plugin's provisioner).
   */
  constructor(
    private readonly onTemporaryResource?: (resources: TemporaryResources, finishedImages: FinishedImage[]) => void,
    {
      buildNames = [],
      everyBuild = false,
      buildsWithoutInstance = [],
      noInstance = false,
      scriptLinesAlike = false
    }: { buildNames?: string[]; everyBuild?: boolean; buildsWithoutInstance?: string[]; noInstance?: boolean; scriptLinesAlike?: boolean } = {}
  ) {
    this.buildNames = new Set(buildNames)
    for (const name of buildNames) this.alike.set(name, (this.alike.get(name) ?? 0) + 1)
    for (const [name, count] of this.alike) if (count < 2) this.alike.delete(name)
    this.everyBuild = everyBuild && buildNames.length > 0
    this.buildsWithoutInstance = new Set(buildsWithoutInstance)
    this.noInstance = noInstance
    this.scriptLinesAlike = scriptLinesAlike
    this.namesWithCommas = commaNames(buildNames)
    this.colonNames = buildNames
      .filter((name) => name.includes(': '))
      .sort((a, b) => b.length - a.length)
      .map((name) => ({ name, prefix: Buffer.from(`${name}: `) }))
  }

  /**
   * Why the run failed, if it did: the failed builds' summaries when Packer gave any (a build
   * run), else the `ui,error` lines (validate, a template Packer could not start).
   */
  get errors(): string[] {
    return this.buildErrors.length > 0 ? this.buildErrors : this.uiErrors
  }

  /**
   * The build whose summary of why it failed `error` (one of errors) is, or begins: undefined for
   * an error of the run, or when two builds' names could begin it (`web` and `web: prod`).
   */
  failedBuildOf(error: string): string | undefined {
    if (this.buildErrors.length === 0) return undefined
    const builds = [...this.failedBuilds].filter((build) => error.startsWith(`${build}: `))
    return builds.length === 1 ? builds[0] : undefined
  }

  observe(event: PackerEvent): void {
    switch (event.type) {
      case 'version':
        if (event.target === '' && event.data[0]) this.version = detached(event.data[0])
        break
      case 'artifact':
        this.observeArtifact(event)
        break
      case 'error':
        // `<build>,error,<message>`: the build's own failure summary.
        if (event.target !== '') {
          this.noteExpiry(event.data.join(','))
          this.add(this.buildErrors, `${event.target}: ${event.data.join(',')}`)
          if (this.failedBuilds.size < RunRecord.maxErrors) this.failedBuilds.add(detached(event.target))
        }
        break
      case 'ui':
        if (event.data[0] === 'error') {
          const message = event.data.slice(1).join(',')
          this.noteExpiry(message)
          // Packer's cancellation notice says what the user asked for, not an error: left to the log.
          if (isCancellationNotice(message)) break
          if (!buildOutput.test(message)) this.add(this.uiErrors, message)
          else this.observeBuilderError(message)
        } else if (event.data[0] === 'say' || event.data[0] === 'message') {
          const text = event.data.slice(1).join(',')
          if (text.startsWith(warningPrefix)) this.observeWarnings(text)
          else this.observeSay(text)
        }
        break
    }
  }

  private noteExpiry(message: string): void {
    if (!this.credentialsExpired && saysCredentialsExpired(message)) this.credentialsExpired = true
    this.credentialsRefused ??= refusedCredentialsCode(message)
  }

  /**
   * Packer's own crash, when it panicked: Go's `panic: …` line on its stderr, which its outer
   * process (panicwrap) writes there once the crashed one has exited, then the goroutine's stack;
   * and the plugin whose code the stack names first (`github.com/<owner>/packer-plugin-<name>/…`,
   * not the plugin SDK, which Packer is built with too), if any. Packer writes the panic and the log before it to `crash.log` in its working directory.
   */
  crash?: PackerCrash

  /** A line of Packer's stderr: what is not an event (a crash). */
  observeStderr(line: string): void {
    if (this.crash === undefined) {
      if (line.startsWith('panic: ')) this.crash = { panic: line }
      return
    }
    // The plugin SDK is Packer's own code too.
    const plugin = /\b(github\.com\/[\w.-]+\/packer-plugin-[\w.-]+?)(@[^/\s]+)?\//.exec(line)?.[1]
    if (plugin !== undefined && !plugin.endsWith('/packer-plugin-sdk')) this.crash.plugin ??= plugin
  }

  /** How many scripts a build's shell and shell-local provisioners began: the last is the one that failed, if one did. */
  scriptsBegun(build: string): number {
    return this.scripts.get(build) ?? 0
  }

  /** What the builds that have not finished announced (TemporaryResources). */
  get temporaryResources(): TemporaryResources {
    const all = noTemporaryResources()
    for (const build of this.builds.values()) {
      all.instanceIds.push(...build.instanceIds)
      all.keyPairs.push(...build.keyPairs)
      all.securityGroups.push(...build.securityGroups)
      all.imageInstances.push(...build.imageInstances)
      all.snapshotVolumes.push(...build.snapshotVolumes)
      all.launchTemplates.push(...build.launchTemplates)
      all.instanceProfiles.push(...build.instanceProfiles)
      all.roles.push(...build.roles)
      all.copyRegions.push(...build.copyRegions.filter((region) => !all.copyRegions.includes(region)))
      all.images.push(...build.images)
    }
    const mayBeGone = [...this.builds].flatMap(([name, build]) => ((this.finishedAlike.get(name) ?? 0) > 0 ? build.securityGroups : []))
    return mayBeGone.length > 0 ? { ...all, groupsMayBeGone: mayBeGone } : all
  }

  /**
   * The build whose line announced each EC2 resource of temporaryResources (instance, AMI,
   * security group, key pair, launch template, snapshotted volume), by its ID or name, as
   * Packer names the build: where that build launched, the resource is.
   */
  get announcedBy(): Record<string, string> {
    const by: Array<[string, string]> = []
    for (const [build, { instanceIds, images, securityGroups, keyPairs, launchTemplates, snapshotVolumes }] of this.builds) {
      for (const resource of [...instanceIds, ...images, ...securityGroups, ...keyPairs, ...launchTemplates, ...snapshotVolumes]) by.push([resource, build])
    }
    // fromEntries, not assignment: a name Packer printed is never taken for a property of the record.
    return Object.fromEntries(by)
  }

  /**
   * The text of a `ui,say`/`ui,message` line, as bytes (the log never makes most of them
   * strings): only a line that Packer ends a build with, or whose words after the first ": "
   * begin as an announcement does ("Instance ID: …", "Creating …", "Created …", "Copying …", "AMI: …"), is
   * read as one.
   */
  observeText(bytes: Buffer, start: number, end: number): void {
    if (bytes[start] === 0x57 && bytes.compare(warningBytes, 0, warningBytes.length, start, start + warningBytes.length) === 0) {
      this.observeWarnings(unescapeField(bytes.toString('utf8', start, end)))
      return
    }
    if (bytes[start] === 0x42 && bytes.compare(finishedBytes, 0, finishedBytes.length, start, start + finishedBytes.length) === 0) {
      this.observeSay(bytes.toString('utf8', start, end))
      return
    }
    let words = this.colonNames.length > 0 ? this.afterColonName(bytes, start, end) : -1
    const limit = Math.min(end - 1, start + 200)
    for (let i = start; words < 0 && i < limit; i++) {
      if (bytes[i] === 0x3a && bytes[i + 1] === 0x20) words = i + 2
    }
    // I(nstance ID), C(reating …, reated …, opying …), A(MI), R(egistering the AMI…, unning local shell
    // script), P(rovisioning with shell script), D(eregistered AMI); and any line while a build is
    // making its AMI, for any other line of its ends that.
    const first = words < 0 ? -1 : bytes[words]
    if (this.makingImages === 0 && first !== 0x49 && first !== 0x43 && first !== 0x41 && first !== 0x52 && first !== 0x50 && first !== 0x44) return
    this.observeSay(bytes.toString('utf8', start, end))
  }

  /** Where the words after a build name that holds ": " begin in a line (`==> web: prod: …`), or -1. */
  private afterColonName(bytes: Buffer, start: number, end: number): number {
    let at = start
    if (bytes[start] === 0x3d && bytes.compare(arrowBytes, 0, arrowBytes.length, start, Math.min(end, start + arrowBytes.length)) === 0) {
      at += arrowBytes.length
    } else {
      while (at < end && bytes[at] === 0x20) at++
    }
    for (const { prefix } of this.colonNames) {
      if (bytes[at] === prefix[0] && bytes.compare(prefix, 0, prefix.length, at, Math.min(end, at + prefix.length)) === 0) return at + prefix.length
    }
    return -1
  }

  /** The build a line of Packer's is about: what comes before its first ": ", unless a build's name holds one. */
  private buildOf(text: string): string | undefined {
    if (this.colonNames.length > 0) {
      let at = 0
      if (text.startsWith('==> ')) at = 4
      else while (text.charCodeAt(at) === 0x20) at++
      for (const { name } of this.colonNames) {
        if (text.startsWith(name, at) && text.startsWith(': ', at + name.length)) return name
      }
    }
    return /^(?:==> |\s*)(.+?): /.exec(text)?.[1]
  }

  private observeSay(text: string): void {
    const finished = buildFinished.exec(text)?.[1]
    if (finished !== undefined) {
      const resources = this.builds.get(finished)
      if (resources !== undefined && this.cleanedUpOwnImages(finished, resources)) {
        // Packer 1.6.6 says a build it cancelled "finished" once its clean-up has deregistered the
        // AMI it made, and that clean-up never deregisters the AMI's copies in other regions. The
        // build made no artifact: what it announced stays unfinished, for the post step to look
        // for that AMI's copies and remove them, as it does for a build that never ended.
        this.finished.add(detached(finished))
        this.makingImage(resources, false)
        return
      }
      for (const image of resources?.images ?? []) {
        if (this.finishedImages.length >= RunRecord.maxResources) break
        const copyRegions = resources?.copyRegions ?? []
        this.finishedImages.push({
          build: detached(finished),
          ami: image,
          ...(copyRegions.length > 0 ? { copyRegions: [...copyRegions] } : {}),
          ...(this.scriptLinesAlike ? { instances: resources?.instanceIds ?? [] } : {})
        })
      }
      const alike = this.alike.get(finished) ?? 1
      const done = (this.finishedAlike.get(finished) ?? 0) + 1
      if (alike > 1) this.finishedAlike.set(finished, done)
      if (done < alike) {
        // Another build of that name still runs, and no line tells whose each announcement was:
        // every AMI announced so far counts as finished (never removed); what they were made from
        // is not looked at again, but the instances, key pairs and groups are, still in use or not.
        if (resources !== undefined) {
          resources.images = []
          resources.imageInstances = []
          resources.snapshotVolumes = []
          this.onTemporaryResource?.(this.temporaryResources, this.finishedImages)
        }
        return
      }
      this.finished.add(detached(finished))
      if (resources !== undefined) this.makingImage(resources, false)
      if (this.builds.delete(finished)) this.onTemporaryResource?.(this.temporaryResources, this.finishedImages)
      return
    }
    const build = this.buildOf(text)
    if (build === undefined || !this.isBuild(build)) return
    // Another build of the same name may still run, and deregister what the finished one made.
    if (this.observeDeregistered(build, text)) return
    if (this.finished.has(build)) return
    if (text.startsWith(`==> ${build}: `) && scriptBegun.test(text.slice(build.length + 6))) {
      this.scripts.set(build, (this.scripts.get(build) ?? 0) + 1)
      return
    }
    if (this.launchesNoInstance(build)) return
    const instances = this.builds.get(build)?.instanceIds.length ?? 0
    if (instances > 0) {
      this.observeImage(build, text)
      // Until each of the builds named alike has announced its instance, one of them may still announce what it makes.
      if (instances >= (this.alike.get(build) ?? 1)) return
    }
    for (const [pattern, kind] of announcedResources) {
      const match = pattern.exec(text)
      if (match === null) continue
      if (kind === 'instanceIds' && text.startsWith('==> ')) this.scriptLinesAlike = true
      this.addTo(build, kind, match[1])
    }
  }

  /**
   * Whether what a line names as its build is one: Packer writes a post-processor's lines as
   * `<build> (<type>)` (postProcessorLines), and a script a post-processor runs may print
   * anything, long after the build announced what it made.
   */
  private isBuild(build: string): boolean {
    if (this.buildNames.has(build)) return true
    return !this.everyBuild && !postProcessorLines.test(build)
  }

  /**
   * Whether a build launches no instance of its own, so that a line of it that reads as an
   * announcement is its provisioners' (a script printing an instance it reports on), and nothing
   * it names is the post step's to remove: one the template says so of, or an `amazon-chroot`
   * one, which runs on the runner's own instance. Packer names an HCL2 build
   * `[<build>.]amazon-chroot.<source>`, and an unnamed JSON builder by its type.
   */
  private launchesNoInstance(build: string): boolean {
    return this.noInstance || this.buildsWithoutInstance.has(build) || build === 'amazon-chroot' || build.startsWith('amazon-chroot.') || build.includes('.amazon-chroot.')
  }


  /**
   * A launched build's `Creating AMI … from instance i-…`, `Creating snapshot of EBS Volume
   * vol-…...` and `AMI: ami-…` (announcedImage), this last only right after the build said it
   * was making its AMI (`Creating AMI` from its own instance, or `Registering the AMI...`); then
   * the regions it copies that AMI to (copyingTo).
   */
  private observeImage(build: string, text: string): void {
    const resources = this.builds.get(build)
    if (resources === undefined) return
    const making = resources.makingImage === true
    // Builds named alike write their lines between each other's: one's AMI line may come after
    // the other's, so only the AMIs announced end their making them.
    const alike = this.alike.has(build)
    if (!alike) this.makingImage(resources, false)
    const instance = creatingImage.exec(text)?.[1]
    if (instance !== undefined) {
      this.addTo(build, 'imageInstances', instance)
      const own = resources.instanceIds.includes(instance)
      if (alike && own) resources.imagesComing = (resources.imagesComing ?? 0) + 1
      this.makingImage(resources, own || (alike && making))
      return
    }
    if (registeringImage.test(text) || (making && taggingImage.test(text))) {
      if (alike && registeringImage.test(text)) resources.imagesComing = (resources.imagesComing ?? 0) + 1
      this.makingImage(resources, true)
      return
    }
    const volume = snapshotOfVolume.exec(text)?.[1]
    if (volume !== undefined) {
      this.addTo(build, 'snapshotVolumes', volume)
      return
    }
    if (copyingImage.test(text)) {
      resources.copyingImage = true
      return
    }
    const copyRegion = resources.copyingImage === true ? copyingTo.exec(text)?.[1] : undefined
    if (copyRegion !== undefined) {
      this.addTo(build, 'copyRegions', copyRegion)
      return
    }
    const image = making ? announcedImage.exec(text)?.[1] : undefined
    if (image === undefined || resources.images.includes(image)) return
    if (alike) {
      resources.imagesComing = Math.max(0, (resources.imagesComing ?? 0) - 1)
      if (resources.imagesComing === 0) this.makingImage(resources, false)
      if (resources.images.length < RunRecord.maxResources) resources.images.push(detached(image))
    } else {
      resources.images = [detached(image)]
    }
    this.onTemporaryResource?.(this.temporaryResources, this.finishedImages)
  }

  private makingImage(resources: BuildResources, making: boolean): void {
    if ((resources.makingImage === true) === making) return
    resources.makingImage = making
    this.makingImages += making ? 1 : -1
  }

  /** Records one announcement of a build, once; whether it was new. */
  private addTo(build: string, kind: Announced, value: string): boolean {
    let resources = this.builds.get(build)
    if (resources === undefined) {
      if (this.builds.size >= RunRecord.maxResources) return false
      resources = { instanceIds: [], keyPairs: [], securityGroups: [], imageInstances: [], snapshotVolumes: [], launchTemplates: [], instanceProfiles: [], roles: [], copyRegions: [], images: [] }
      this.builds.set(detached(build), resources)
    }
    const list = resources[kind]
    if (list.includes(value) || list.length >= RunRecord.maxResources) return false
    list.push(detached(value))
    this.onTemporaryResource?.(this.temporaryResources, this.finishedImages)
    return true
  }

  private observeWarnings(text: string): void {
    for (const warning of text.split(/\n\n(?=Warning: )/)) this.add(this.warnings, warning)
  }

  /**
   * Whether every AMI a build announced is one its own clean-up deregistered (cleanedUpImages):
   * not when builds share its name, as no line tells whose each AMI was.
   */
  private cleanedUpOwnImages(build: string, resources: BuildResources): boolean {
    if ((this.alike.get(build) ?? 1) > 1 || resources.images.length === 0) return false
    return resources.images.every((ami) => this.cleanedUpImages.some((image) => image.build === build && image.ami === ami))
  }

  /**
   * A build's `Deregistered AMI …` line (deregisteredImage), read unless its scripts' lines are
   * written as its builder's or it launches no instance: whether the line was one.
   */
  private observeDeregistered(build: string, text: string): boolean {
    const deregistration = this.scriptLinesAlike || this.launchesNoInstance(build) ? null : deregisteredImage.exec(text)
    if (!deregistration) return false
    const [, name, deregistered] = deregistration
    if (this.deregisteredImages.length < RunRecord.maxResources) this.deregisteredImages.push(detached(deregistered))
    // Only a build's clean-up names no AMI: force_deregister names the one it takes away.
    if (name === undefined && this.cleanedUpImages.length < RunRecord.maxResources) {
      const error = this.lastBuilderErrors.get(build)
      this.cleanedUpImages.push({ build: detached(build), ami: detached(deregistered), ...(error === undefined ? {} : { error }) })
    }
    return true
  }

  /**
   * A build's `==> <build>: …` error line: before Packer 1.13 its builder's own (a script's
   * stderr is `    <build>: …`), kept as what the build last said went wrong.
   */
  private observeBuilderError(message: string): void {
    if (this.scriptLinesAlike) return
    const build = this.buildOf(message.trimStart())
    if (build === undefined || !this.isBuild(build) || !this.builds.has(build)) return
    const said = message.trimStart().slice(`==> ${build}: `.length).trim()
    if (said !== '') this.lastBuilderErrors.set(build, detached(said.length > maxErrorShown ? `${said.slice(0, maxErrorShown)}…` : said))
  }

  private add(list: string[], message: string): void {
    const trimmed = message.trim()
    if (trimmed === '' || list.includes(trimmed)) return
    if (list.length < RunRecord.maxErrors) list.push(detached(trimmed))
  }

  private observeArtifact(event: PackerEvent): void {
    const [index, key, ...rest] = event.data
    if (index === undefined || key === undefined) return
    const slot = `${event.target}\u0000${index}`
    const artifact = this.pending.get(slot) ?? { build: detached(event.target) }
    if (key === 'builder-id') artifact.builderId = detached(rest.join(','))
    if (key === 'id') artifact.id = detached(rest.join(','))
    if (key === 'end') {
      this.pending.delete(slot)
      if (artifact.id !== undefined) {
        this.artifacts.push({
          build: artifact.build ?? detached(event.target),
          builderId: artifact.builderId ?? '',
          id: artifact.id
        })
      }
      return
    }
    this.pending.set(slot, artifact)
  }
}

/** What a human reads for one event, or undefined for events that are bookkeeping only. */
export type Rendered =
  | { level: 'info'; text: string }
  | { level: 'error'; text: string }
  | undefined

export function renderEvent(event: PackerEvent): Rendered {
  if (event.type === 'ui') {
    const [kind, ...rest] = event.data
    const text = rest.join(',').replace(/\n+$/, '')
    if (kind === 'error') return { level: 'error', text }
    if (kind === 'say' || kind === 'message') return { level: 'info', text }
    return undefined
  }
  // `<build>,error,…` repeats what a `ui,error` line already said.
  return undefined
}

/** Where a Packer error points in a template, when it says. */
export interface ErrorLocation {
  file?: string
  line: number
  column?: number
}

/**
 * Packer's error about an HCL2 block that a plugin refused: `Error: 2 error(s) occurred:` (or
 * `decoding:`), then the problems, then `on a.pkr.hcl line 1:`, the block's first line
 * (template-errors.ts places each problem better).
 */
export function isHclBlockError(message: string): boolean {
  return /^Error: \d+ error(\(s\)|s)? (occurred|decoding):\n/.test(message) && /^\s*on .+ line \d+/m.test(message)
}

/**
 * Packer's error about a provisioner or post-processor block its plugin refused: `Error: Failed
 * preparing provisioner-block "shell" ""`, the block's first line, then the plugin's problems
 * (`2 error(s) occurred:`, or `1 error(s) decoding:` for a value its decoder could not read, as a
 * windows-restart's `restart_timeout = "15"`, and a `* ` line each), as Packer 1.6.6 and 1.16.0
 * write it (hcl2template/types.build.provisioners.go, types.build.post-processor.go).
 */
export function isHclComponentError(message: string): boolean {
  return /^Error: Failed preparing (provisioner|post-processor)-block /.test(message) && /^\d+ error(\(s\)|s)? (occurred|decoding):\n\n\* /m.test(message)
}

/** Whether a name Packer wrote is one of the files it read (the template's, its variables files). */
export type KnownFile = (name: string) => boolean

/** The place an HCL2 diagnostic names: a file Packer read, and the line. */
export interface HclSubject {
  file: string
  line: number
  /** Where in the message the place is written: `  on a.pkr.hcl line 7:` and what follows on that line. */
  index: number
  length: number
}

/**
 * The place an HCL2 diagnostic names after its summary. hcl's text writer (v2.6.0, which Packer
 * 1.6.6 vendors, as later ones: diagnostic_text.go) writes `  on %s line %d%s:`, the file's name
 * as Packer read it, then `, in <block>` or nothing. A name may hold spaces (`on my
 * templates/web.pkr.hcl line 3:`), and a block's labels may hold ` line 9`: a name with a space
 * is taken only where `isKnown` says it is a file Packer read, never guessed. Undefined when the
 * message names no place, or one that cannot be told.
 */
export function hclSubject(message: string, isKnown: KnownFile = () => false): HclSubject | undefined {
  for (const written of message.matchAll(/^ {2}on (.*)$/gm)) {
    const rest = written[1]
    for (const ending of rest.matchAll(/ line (\d+)(?=:$|, in )/g)) {
      const file = rest.slice(0, ending.index)
      if (file === '' || (/\s/.test(file) && !isKnown(file))) continue
      return { file, line: Number(ending[1]), index: written.index, length: written[0].length }
    }
  }
  return undefined
}

/**
 * Packer's error of an HCL2 source block whose settings it cannot read, as Packer before 1.7.7
 * says it where one reads `source.name` or `source.type` (an unknown value there), on the
 * block's first line: locateSourceReadings.
 */
export function isUnreadableSource(message: string): boolean {
  return message.startsWith('Error: failed to read dynamic type descriptor value: ')
}

/** Packer's error of an HCL2 reference to an attribute that is not there (`var.nope`): locateUnknownReference. */
export function isUnknownAttribute(message: string): boolean {
  return message.startsWith('Error: Unsupported attribute\n')
}

/**
 * Packer's error of an HCL2 variable that has no value and no default: `Error: Unset variable
 * "name"`. It names no place (its diagnostic has a context but no subject); gives the name.
 */
export function unsetVariable(message: string): string | undefined {
  return /^Error: Unset variable "([^"]+)"/.exec(message)?.[1]
}

/**
 * Packer's error of an HCL2 `variable` block that declares a variable declared before it:
 * `Error: Duplicate variable`, then `Duplicate region variable definition found.`, as Packer
 * 1.6.6 and 1.16.0 write it (hcl2template/types.variables.go, decodeVariableBlock). It names no
 * place (a context but no subject); gives the name. The same error about an attribute of a
 * `variables` block names its place, and is not this.
 */
export function duplicateVariable(message: string): string | undefined {
  if (/^ {2}on .* line \d+/m.test(message)) return undefined
  return /^Error: Duplicate variable\n\nDuplicate\s+(\S+)\s+variable\s+definition\s+found\.\s*$/.exec(message)?.[1]
}

/** A source a build uses that Packer does not know: its type, and its name where Packer gives it. */
export interface UnknownSource {
  type: string
  name?: string
}

/**
 * Packer's errors of a build that are about one setting of its builder, as Packer 1.6.6 writes
 * them (`amazon-ebs.web: Error launching source instance: InvalidKeyPair.NotFound: …`): the
 * settings that could give what was refused (the one the template writes is it), and for a map,
 * the pattern of the key in it, for a block, the setting in it. EC2's words are those of its API
 * reference.
 */
const settingErrors: Array<{ said: RegExp; settings: string[]; key?: RegExp; within?: string; unset?: string }> = [
  // An AMI of the account already has the name.
  { said: /^Error: AMI Name: '[^\n]*' is used by an existing AMI: ami-\w+/, settings: ['ami_name'] },
  // Packer reads the key even with `communicator = "none"`.
  { said: /^Error on reading SSH private key: /, settings: ['ssh_private_key_file'] },
  { said: /^Error launching source instance: InvalidKeyPair\.NotFound: /, settings: ['ssh_keypair_name'] },
  { said: /^Error launching source instance: InvalidParameterValue: Invalid availability zone: /, settings: ['availability_zone'] },
  { said: /^Describing the subnet: \S+ returned error: InvalidSubnetID\.(?:NotFound|Malformed): /, settings: ['subnet_id'] },
  { said: /^Error retrieving VPC information for vpc_id \S+: InvalidVpcID\.(?:NotFound|Malformed): /, settings: ['vpc_id'] },
  { said: /^Couldn't find specified security group: (?:InvalidGroup\.NotFound|InvalidGroupId\.Malformed): /, settings: ['security_group_id', 'security_group_ids'] },
  { said: /^Couldn't find specified instance profile: NoSuchEntity: /, settings: ['iam_instance_profile'] },
  { said: /^Error querying AMI: InvalidAMIID\.(?:NotFound|Malformed): /, settings: ['source_ami'] },
  { said: /^Error tagging volumes: Error processing tag: /, settings: ['run_volume_tags'], key: /^Error tagging volumes: Error processing tag: ([^:\n]+):/ },
  // STS refused the role, or could not be asked.
  { said: /^IAM Role \(.*\) cannot be assumed\.$/, settings: ['assume_role'], within: 'role_arn' },
  // The communicator never answered in the time the template gives it, or in Packer's default
  // (1.6.6's communicator config, and the plugin's since) where it gives none.
  {
    said: /^Timeout waiting for WinRM\.$/,
    settings: ['winrm_timeout'],
    unset: 'The build sets no winrm_timeout, so Packer waited its default, 30 minutes, for WinRM to answer: winrm_timeout sets how long it waits.'
  },
  {
    said: /^Timeout waiting for SSH\.$/,
    settings: ['ssh_timeout', 'ssh_wait_timeout'],
    unset: 'The build sets no ssh_timeout, so Packer waited its default, 5 minutes, for SSH to answer: ssh_timeout sets how long it waits.'
  }
]

/**
 * Packer's error of a build about one setting of its builder (settingErrors): the build, the
 * settings that could be it, and the key in a map setting where Packer names one, or the setting
 * in a block (`within`) that it is about; `unset`, what Packer did instead where the build sets
 * none of the settings.
 */
export function refusedSetting(message: string): { build: string; settings: string[]; key?: string; within?: string; unset?: string } | undefined {
  const [, build, said] = /^(.+?): ([^\n]*)/.exec(message) ?? []
  if (build === undefined || said === undefined) return undefined
  const error = settingErrors.find((each) => each.said.test(said))
  if (!error) return undefined
  const key = error.key?.exec(said)?.[1]
  return {
    build,
    settings: error.settings,
    ...(key !== undefined && { key }),
    ...(error.within !== undefined && { within: error.within }),
    ...(error.unset !== undefined && { unset: error.unset })
  }
}

/**
 * EC2's refusal of a filter name, as Packer says it for a build (`amazon-ebs.web: Error querying
 * VPCs: InvalidParameterValue: The filter 'isDefault' is invalid`): the build, Packer's words
 * before EC2's (which filter it asked with), and the name.
 */
export function refusedFilter(message: string): { build: string; query: string; name: string } | undefined {
  const [, build, query, name] = /^(.+?): ([^\n]*?)InvalidParameterValue: The filter '([^']+)' is invalid\b/.exec(message) ?? []
  return build === undefined ? undefined : { build, query, name }
}

/**
 * Packer's error of a build that uses a source it does not know: `Error: Unknown source
 * amazon-ebs.nope` (no such source block), or from Packer 1.7 on, `Error: Unknown source type
 * amazon-ebz` (no plugin has that builder). Packer names the build block's first line (1.6.6:
 * `on  line 0:`, none), not the entry of its `sources` that names the source.
 */
export function unknownSource(message: string): UnknownSource | undefined {
  const typed = /^Error: Unknown source type (\S+)\n/.exec(message)
  if (typed) return { type: typed[1] }
  const named = /^Error: Unknown source ([^.\s]+)\.(\S+)\n/.exec(message)
  return named ? { type: named[1], name: named[2] } : undefined
}

/** Where a value Packer refused came from: `-var` (the input `variables`), or a PKR_VAR_ variable. */
export interface RefusedValue {
  name: string
  from: 'arguments' | 'env'
}

/**
 * Packer's error about a value given to an HCL2 variable outside the template's files, which it
 * reads as HCL unless the variable is a string: `on <value for var.regions from arguments> line
 * 1:` (`-var`) or `from env>` (PKR_VAR_regions); for a value of the wrong type given with `-var`,
 * "The received arg value for size is not compatible", after `on  line 0:` (Packer 1.6.6) or, from
 * Packer 1.10 on, with no place at all.
 */
export function refusedValue(message: string): RefusedValue | undefined {
  if (!message.startsWith('Error: ')) return undefined
  const placed = /^ {2}on <value for var\.([^ >]+) from (arguments|env)> line \d+/m.exec(message)
  if (placed) return { name: placed[1], from: placed[2] as RefusedValue['from'] }
  // Packer wraps the detail at 80 columns: a long name puts a line break between these words.
  const received = /^Error: Invalid argument value for -var variable\n[^]*\bThe received arg value for\s+(\S+)\s+is\s+not\s+compatible/.exec(message)
  return received ? { name: received[1], from: 'arguments' } : undefined
}

/** A value that a variable's `validation` rule refused, and the rule, as Packer names it. */
export interface FailedValidation {
  from: RefusedValue['from']
  /** What the rule's `error_message` says. */
  detail: string
  /** The rule's place: the file, as Packer names it (relative to the directory it runs in), line and column. */
  file: string
  line: number
  column: number
}

/**
 * Packer 1.6.6's error of a value given with `-var` or as a PKR_VAR_ variable that a variable's
 * `validation` rule refused: `Error: Invalid value for cmd variable` (`env` for PKR_VAR_), which
 * names the value's origin where the variable's name should be, and `on  line 0:`, no place, but
 * ends `This was checked by the validation rule at a.pkr.hcl:3,3-13.` (which hcl may wrap).
 */
export function failedValidation(message: string): FailedValidation | undefined {
  const origin =
    /^Error: Invalid value for (cmd|env) variable\n\n {2}on {2}line 0:\n(?: {2}\(source code not available\)\n)?\n([^]*?)\n+This\s+was\s+checked\s+by\s+the\s+validation\s+rule\s+at\s+(\S+):(\d+),(\d+)-\S*?\.\s*$/.exec(
      message
    )
  if (!origin) return undefined
  const [, from, detail, file, line, column] = origin
  return { from: from === 'cmd' ? 'arguments' : 'env', detail: detail.trim(), file, line: Number(line), column: Number(column) }
}

/**
 * Packer's diagnostics about HCL2 variables, which name no place but a variable, that the report
 * places: an unset variable, a variable declared twice, a value given outside the files that
 * Packer refused, and a variable a variables file sets that the template does not declare
 * (`Warning: Undefined variable`, written among the errors when Packer fails).
 */
export function isVariableDiagnostic(message: string): boolean {
  return (
    unsetVariable(message) !== undefined ||
    duplicateVariable(message) !== undefined ||
    refusedValue(message) !== undefined ||
    failedValidation(message) !== undefined ||
    /^Warning: Undefined variable\n/.test(message)
  )
}

/**
 * The diagnostics in one of Packer's errors about an HCL2 template. Packer writes all of them as
 * one error (its writeDiags): each begins `Error: <summary>` (or `Warning: `) after a blank line,
 * and names its place after its summary: a file's line (`  on a.pkr.hcl line 7:`), or for a
 * value given on the command line none (`  on  line 0:`) or the value's
 * (`  on <value for var.size from arguments> line 1:`). Split there, so that each is
 * annotated on its own line; a piece that names no place of its own (a detail that happens to
 * hold such a line) stays with the one before, unless it is about a variable (isVariableDiagnostic).
 */
export function hclDiagnostics(message: string): string[] {
  const pieces: string[] = []
  for (const piece of message.split(/\n\n(?=(?:Error|Warning): )/)) {
    const own = (/^(?:Error|Warning): /.test(piece) && /^ {2}on .* line \d+/m.test(piece)) || isVariableDiagnostic(piece)
    if (own || pieces.length === 0) pieces.push(piece)
    else pieces[pieces.length - 1] += `\n\n${piece}`
  }
  return pieces.map((piece) => piece.replace(/\n+$/, ''))
}

/** Every diagnostic of a run's errors about an HCL2 template, once: Packer 1.6.6 tells some twice. */
export function distinctHclDiagnostics(errors: string[]): string[] {
  return [...new Set(errors.flatMap(hclDiagnostics))]
}

/**
 * Where one of Packer's messages points in a template, when it says; `isKnown` tells the files
 * Packer read, whose names may hold spaces (hclSubject).
 */
export function locateError(message: string, isKnown: KnownFile = () => false): ErrorLocation | undefined {
  // A plugin's HCL2 diagnostic inside Packer's, more precise than the block Packer names:
  // `a.pkr.hcl:13,5-11: Unsupported argument; An argument named "scirpt" is not expected here.`
  const inner = innerDiagnostic(message, isKnown)
  if (inner) return inner
  // HCL2 diagnostics: `on ami.pkr.hcl line 12, in source "amazon-ebs" "x":`
  const subject = hclSubject(message, isKnown)
  if (subject) return { file: subject.file, line: subject.line }
  // A name with a space that is no file Packer read: no place rather than a wrong one.
  if (/^ {2}on .* line \d+(?::$|, in )/m.test(message)) return undefined
  const hcl = /\bon (\S+) line (\d+)(?:, column (\d+))?/.exec(message)
  if (hcl) {
    return {
      file: hcl[1],
      line: Number(hcl[2]),
      column: hcl[3] === undefined ? undefined : Number(hcl[3])
    }
  }
  // JSON templates: `Error parsing JSON: … At line 7, column 5 (offset 123)`
  const json = /\bline (\d+), column (\d+)/i.exec(message)
  if (json) return { line: Number(json[1]), column: Number(json[2]) }
  return undefined
}

/**
 * A plugin's HCL2 diagnostic quoted in Packer's (hcl's Diagnostic.Error(): `<file>:<line>,<column>-<end>:
 * <summary>; <detail>`): its file is the longest name ending there that `isKnown` knows (`my
 * templates/a.pkr.hcl`), else the word before it.
 */
function innerDiagnostic(message: string, isKnown: KnownFile): ErrorLocation | undefined {
  const range = /\.pkr\.(?:hcl|json):(\d+),(\d+)(?:-\d+)?: /.exec(message)
  if (!range) return undefined
  const end = range.index + range[0].indexOf(':')
  const lineStart = message.lastIndexOf('\n', end) + 1
  const starts = [...message.slice(lineStart, end).matchAll(/(?<=^|\s)\S/g)].map((word) => lineStart + word.index)
  const start = starts.find((at) => isKnown(message.slice(at, end))) ?? starts.at(-1)
  return start === undefined ? undefined : { file: message.slice(start, end), line: Number(range[1]), column: Number(range[2]) }
}
