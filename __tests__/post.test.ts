// The post step (src/post.ts, run() of the entry point dist/post.js): nothing it meets may
// fail the job.
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import type * as Cache from '@actions/cache'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
    core.state.set('plugin-cache', JSON.stringify({ paths: [folder], key: 'k1', contentHash: '' }))

    await (await import('../src/post.js')).run()

    // The job's key, then what the folder holds.
    expect(cache.saveCache).toHaveBeenCalledWith([folder], expect.stringMatching(/^k1-[0-9a-f]{16}$/))
    expect(messages(core.info)).toMatch(/Saved Packer plugins to the cache \(k1-[0-9a-f]{16}\)/)
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
