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
}

export function releasePlatform(
  platform: string = process.platform,
  arch: string = process.arch
): ReleasePlatform {
  return { os: GO_OS[platform] ?? platform, arch: GO_ARCH[arch] ?? arch }
}

export function packerExecutableName(platform: string = process.platform): string {
  return platform === 'win32' ? 'packer.exe' : 'packer'
}
