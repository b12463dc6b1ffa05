// The post step (src/post.ts, run() of the entry point dist/post.js): nothing it meets may
// fail the job.
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import type * as Cache from '@actions/cache'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { fakeCore, messages, type FakeCore } from './fixtures/install/core.js'

let core: FakeCore
let cache: {
  isFeatureAvailable: jest.Mock<typeof Cache.isFeatureAvailable>
  restoreCache: jest.Mock<typeof Cache.restoreCache>
  saveCache: jest.Mock<typeof Cache.saveCache>
}

beforeEach(() => {
  jest.resetModules()
  core = fakeCore()
  cache = {
    isFeatureAvailable: jest.fn<typeof Cache.isFeatureAvailable>(() => true),
    restoreCache: jest.fn<typeof Cache.restoreCache>(async () => undefined),
    saveCache: jest.fn<typeof Cache.saveCache>(async () => 7)
  }
  jest.unstable_mockModule('@actions/core', () => core)
  jest.unstable_mockModule('@actions/cache', () => cache)
})

function pluginFolderWithAPlugin(): string {
  const folder = mkdtempSync(join(tmpdir(), 'post-test-'))
  mkdirSync(join(folder, 'github.com', 'hashicorp', 'amazon'), { recursive: true })
  writeFileSync(join(folder, 'github.com', 'hashicorp', 'amazon', 'packer-plugin-amazon'), 'x')
  return folder
}

describe('the post step', () => {
  it('saves the plugin cache the main step set up', async () => {
    const folder = pluginFolderWithAPlugin()
    const state = { paths: [folder], key: 'k1', contentHash: '', plugins: [], packerVersion: '1.11.2' }
    core.state.set('plugin-cache', JSON.stringify(state))

    await (await import('../src/post.js')).run()

    // From beside the folder, where what is saved of it is linked; under the job's key, then
    // what is saved.
    expect(cache.saveCache).toHaveBeenCalledWith([(await import('../src/plugins/cache.js')).entryFolder(folder)], expect.stringMatching(/^k1-[0-9a-f]{16}$/))
    expect(messages(core.info)).toMatch(/Saved Packer plugins to the cache \(k1-[0-9a-f]{16}\)/)
    expect(core.warning).not.toHaveBeenCalled()
  })

  it('saves, of a plugin with no constraint, the newest release only, and leaves the folder as it is', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'post-test-'))
    const pluginFiles = (name: string, version: string) => {
      const binary = join(folder, 'github.com', 'hashicorp', name, `packer-plugin-${name}_v${version}_x5.0_linux_amd64`)
      return [binary, `${binary}_SHA256SUM`]
    }
    const listed = (root: string) => readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()
    // An older and a newer release of amazon, which the job names; docker's, which it does not.
    const files = [
      ...['1.0.0', '1.1.0'].flatMap((version) => [...pluginFiles('amazon', version), ...pluginFiles('docker', version)]),
      join(folder, 'github.com', 'hashicorp', 'amazon', 'notes.txt')
    ]
    for (const file of files) {
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, basename(file))
    }
    const before = listed(folder)
    const plugins = [{ source: 'github.com/hashicorp/amazon' }]
    core.state.set('plugin-cache', JSON.stringify({ paths: [folder], key: 'k1', contentHash: '', plugins, packerVersion: '1.11.2' }))
    let saved: string[] = []
    cache.saveCache.mockImplementation(async ([entry]) => {
      saved = listed(entry).filter((path) => path.includes('packer-plugin-') || path.endsWith('.txt'))
      return 7
    })

    await (await import('../src/post.js')).run()

    // All but amazon's older release and its checksum file.
    expect(saved).toEqual(files.map((file) => relative(folder, file)).filter((file) => !file.includes('amazon_v1.0.0')).sort())
    expect(messages(core.info)).toMatch(
      /^Saved Packer plugins to the cache \(k1-[0-9a-f]{16}\); left out 1 older plugin release that Packer does not load for this job$/m
    )
    expect(listed(folder)).toEqual(before)
    expect(existsSync((await import('../src/plugins/cache.js')).entryFolder(folder))).toBe(false)
    expect(core.warning).not.toHaveBeenCalled()
  })

  it('turns any failure into a warning instead of failing the job', async () => {
    core.getState.mockImplementation(() => {
      throw new Error('state file unreadable')
    })

    await expect((await import('../src/post.js')).run()).resolves.toBeUndefined()

    expect(messages(core.warning)).toBe(
      'Could not clean up after Packer: state file unreadable\nCould not save the plugin cache: state file unreadable'
    )
    expect(core.error).not.toHaveBeenCalled()
  })

  it('does nothing, and warns of nothing, after a job that left it nothing to do', async () => {
    await (await import('../src/post.js')).run()

    expect(cache.saveCache).not.toHaveBeenCalled()
    expect(core.warning).not.toHaveBeenCalled()
    expect(messages(core.debug)).toContain('No plugin cache to save: the main step did not use one')
  })

  it('warns about unreadable state and saves nothing', async () => {
    core.state.set('plugin-cache', '{not json')

    await (await import('../src/post.js')).run()

    expect(cache.saveCache).not.toHaveBeenCalled()
    expect(messages(core.warning)).toContain('Not saving the plugin cache')
  })
})
