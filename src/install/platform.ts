// HashiCorp names builds with Go's GOOS/GOARCH, which differ from Node's names.
const GO_OS: Record<string, string> = {
  linux: 'linux',
  darwin: 'darwin',
  win32: 'windows',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  sunos: 'solaris'
}

const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x'
}

export interface ReleasePlatform {
  /** GOOS as used in HashiCorp's file names, e.g. `linux` */
  os: string
  /** GOARCH as used in HashiCorp's file names, e.g. `amd64` */
  arch: string
  /** The build this runner also runs, by emulation, when there is none for it, and why it can */
  emulated?: { os: string; arch: string; reason: string }
}

export function releasePlatform(
  platform: string = process.platform,
  arch: string = process.arch
): ReleasePlatform {
  const os = GO_OS[platform] ?? platform
  const goArch = GO_ARCH[arch] ?? arch
  // HashiCorp builds Packer for windows/386 and windows/amd64 only (through 1.16), and
  // Windows 11 on Arm runs amd64 programs by emulation: a windows-11-arm runner takes that one.
  if (os === 'windows' && goArch === 'arm64') {
    return { os, arch: goArch, emulated: { os, arch: 'amd64', reason: 'Windows on Arm runs amd64 programs by emulation' } }
  }
  return { os, arch: goArch }
}

export function packerExecutableName(platform: string = process.platform): string {
  return platform === 'win32' ? 'packer.exe' : 'packer'
}
