import * as core from '@actions/core'
import * as tc from '@actions/tool-cache'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import * as semver from 'semver'
import type { PathPacker } from './on-path.js'
import { packerExecutableName } from './platform.js'
import type { VersionRequest } from '../inputs/version-request.js'

export function satisfies(version: string, request: VersionRequest): boolean {
  switch (request.kind) {
    case 'latest':
      return false
    case 'exact':
      return semver.eq(version, request.version)
    case 'range':
      return semver.satisfies(version, request.range)
  }
}

export interface LocalPacker {
  path: string
  version: string
}

/** The packer on PATH when it satisfies the request; `onPath` is what asking it found. */
export async function findPackerOnPath(
  request: VersionRequest,
  onPath: Promise<PathPacker | undefined>
): Promise<LocalPacker | undefined> {
  const found = await onPath
  if (!found) return undefined
  const { executable, version } = found
  if (!version) {
    core.info(`Ignoring ${executable} on PATH: it does not answer "packer version" like Packer`)
    return undefined
  }
  if (!satisfies(version, request)) {
    core.info(`Packer ${version} on PATH (${executable}) does not match packer-version; not used`)
    return undefined
  }
  return { path: executable, version }
}

export function toolCacheAvailable(): boolean {
  return Boolean(process.env['RUNNER_TOOL_CACHE'])
}

/** The highest cached Packer matching the request, with no network access. */
export function findInToolCache(
  request: VersionRequest,
  arch: string,
  executableName: string = packerExecutableName()
): LocalPacker | undefined {
  if (!toolCacheAvailable() || request.kind === 'latest') return undefined
  const version =
    request.kind === 'exact'
      ? request.version
      : semver.maxSatisfying(tc.findAllVersions('packer', arch), request.range)
  if (!version) return undefined
  const directory = tc.find('packer', version, arch)
  if (!directory) return undefined
  const executable = join(directory, executableName)
  if (!existsSync(executable)) {
    core.info(`Ignoring ${directory} in the tool cache: it holds no ${executableName}`)
    return undefined
  }
  return { path: executable, version }
}
