// A self-hosted runner whose only way out is an HTTP proxy: the runner gives each step
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY. Through the bundled action with the real Packer and the
// loopback EC2 endpoint, reached by a host name only the proxy resolves (ec2.proxied.test), so
// that a call that ignores the proxy cannot succeed: the action's AWS calls go through the proxy
// as Packer's do, NO_PROXY's hosts directly, the proxy's user and password never reach the log,
// a proxy that refuses the calls is named as the one that refused them, and Packer is downloaded
// through it too.
import { afterEach, expect, it } from '@jest/globals'
import * as openpgp from 'openpgp'
import { startReleasesMirror } from '../test-support/releases-mirror/index.js'
import { asTheRunnerShowsIt, type ActionRun } from './support/action-process.js'
import { demoRuns, loopbackSuite } from './support/loopback-suite.js'
import { startLoopbackProxy, type LoopbackProxy, type LoopbackProxyOptions } from './support/loopback-proxy.js'
import { startTlsFront } from './support/tls-front.js'
import { describeWithPacker, packer, packerVersion } from './support/runtimes.js'

describeWithPacker("AWS calls through the runner's HTTP proxy, through the bundled action", () => {
  const suite = loopbackSuite(['us-east-1', 'eu-west-1', 'us-west-2'])
  const { demoWith } = demoRuns(suite)

  const stopping: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    for (const server of stopping.splice(0)) await server.close()
  })

  async function startProxy(options: LoopbackProxyOptions): Promise<LoopbackProxy> {
    const proxy = await startLoopbackProxy(options)
    stopping.push(proxy)
    return proxy
  }

  /** The loopback endpoint's URL with `host` for its host name. */
  const endpointAs = (host: string): string => suite.endpoint.url.replace('127.0.0.1', host)
  const proxied = 'ec2.proxied.test'
  /** The proxy's URL with a user and password in it. */
  const withUser = (proxy: LoopbackProxy, userinfo: string): string => proxy.url.replace('//', `//${userinfo}@`)

  /** The demo's JSON job in the proxy's environment: the runner's proxy variables, and every AWS endpoint at `endpoint`. */
  function runBehind(proxyUrl: string, endpoint: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
    const workspace = demoWith((text) => text, 'json')
    return suite.run(
      workspace,
      { template: 'packer-template.json', tags: 'Team=web', ...inputs },
      { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, AWS_ENDPOINT_URL_EC2: endpoint, AWS_ENDPOINT_URL_SSM: endpoint, AWS_ENDPOINT_URL_IAM: endpoint, ...env }
    )
  }

  /** The log, the summary and stderr, as the runner shows them. */
  function shown(result: ActionRun): string {
    const { log, summary } = asTheRunnerShowsIt(result)
    return `${log}\n${summary}\n${result.stderr}`
  }

  const amisOf = (result: ActionRun): Record<string, string> => JSON.parse(result.outputs['ami-ids'] ?? '{}') as Record<string, string>

  it("tags the AMIs through a proxy with Squid's default rules, with the proxy's user and password nowhere in the log", async () => {
    // Squid refuses CONNECT to any port but 443: a call to an http:// endpoint goes as an
    // absolute-form request (`POST http://host:port/`), as Packer's (Go's) do.
    const proxy = await startProxy({ names: [proxied], credentials: 'builder:s3cr%t', connectPorts: [443] })
    const endpoint = endpointAs(proxied)
    const result = await runBehind(withUser(proxy, 'builder:s3cr%25t'), endpoint)

    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    const amis = amisOf(result)
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    for (const [region, amiId] of Object.entries(amis)) expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({ Team: 'web' })
    const target = new URL(endpoint).host
    expect(new Set(proxy.calls.map((call) => `${call.kind} ${call.target}`))).toEqual(new Set([`forward ${target}`]))
    // The action's calls (the JavaScript SDK's), beside Packer's: each region's DescribeImages and CreateTags at least.
    const actions = proxy.calls.filter((call) => /aws-sdk-js/.test(call.userAgent ?? ''))
    expect(actions.length).toBeGreaterThanOrEqual(6)
    // Connections to the proxy are kept for the calls after, as direct ones are.
    expect(new Set(actions.map((call) => call.connection)).size).toBeLessThan(actions.length)
    expect(actions.every((call) => call.authorization === `Basic ${Buffer.from('builder:s3cr%t').toString('base64')}`)).toBe(true)
    expect(result.stdout).toContain(`AWS calls go through the proxy ${new URL(proxy.url).host} (HTTPS_PROXY, for https:// endpoints) and ${new URL(proxy.url).host} (HTTP_PROXY, for http:// endpoints), except to the hosts in NO_PROXY.`)
    expect(shown(result)).not.toMatch(/s3cr|builder/)
  })

  it('tunnels the calls to an https:// endpoint with CONNECT, TLS from the action to the endpoint', async () => {
    // Packer's calls go directly (its template names the endpoint by 127.0.0.1, which no proxy
    // serves); the action's go to an https:// endpoint, which only a tunnel reaches whole.
    const front = await startTlsFront(suite.endpoint.url, proxied)
    stopping.push(front)
    const proxy = await startProxy({ names: [proxied], credentials: 'builder:s3cr%t' })
    const workspace = demoWith((text) => text.replace('{{env `AWS_ENDPOINT_URL_EC2`}}', suite.endpoint.url), 'json')
    const tunnel = withUser(proxy, 'builder:s3cr%25t')
    const result = await suite.run(
      workspace,
      { template: 'packer-template.json', tags: 'Team=web' },
      { HTTP_PROXY: tunnel, HTTPS_PROXY: tunnel, AWS_ENDPOINT_URL_EC2: front.url, NODE_EXTRA_CA_CERTS: front.certificateFile }
    )

    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    for (const [region, amiId] of Object.entries(amisOf(result))) expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({ Team: 'web' })
    const tunnels = proxy.calls.filter((call) => call.target === new URL(front.url).host)
    expect(new Set(tunnels.map((call) => call.kind))).toEqual(new Set(['connect']))
    // One tunnel per region serves its calls.
    expect(tunnels.length).toBeLessThanOrEqual(3)
    expect(tunnels.every((call) => call.authorization === `Basic ${Buffer.from('builder:s3cr%t').toString('base64')}`)).toBe(true)
    expect(shown(result)).not.toMatch(/s3cr|builder/)
  })

  it('goes directly to the hosts NO_PROXY names, through the proxy to the others', async () => {
    // 0.0.0.0 reaches the loopback endpoint, but is no loopback name to the toolkit's rules (nor
    // Go's): only NO_PROXY sends calls to it directly. SSM's endpoint is known to the proxy only.
    const proxy = await startProxy({ names: ['ssm.proxied.test'] })
    const direct = endpointAs('0.0.0.0')
    const result = await runBehind(
      proxy.url,
      direct,
      { 'ssm-parameter': '/images/web' },
      { AWS_ENDPOINT_URL_SSM: endpointAs('ssm.proxied.test'), NO_PROXY: 'example.com, 0.0.0.0' }
    )

    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    const amis = amisOf(result)
    for (const [region, amiId] of Object.entries(amis)) {
      expect(suite.endpoint.tagsOf(region, amiId)).toMatchObject({ Team: 'web' })
      expect(suite.endpoint.parameters(region)['/images/web']).toMatchObject({ value: amiId })
    }
    expect(new Set(proxy.calls.map((call) => `${call.kind} ${call.target}`))).toEqual(new Set([`forward ${new URL(endpointAs('ssm.proxied.test')).host}`]))
  })

  it("a proxy whose rules refuse the endpoint (403): the error names the proxy, not AWS, and the AMIs are in the outputs", async () => {
    const proxy = await startProxy({ names: [proxied], refuseWith: 403 })
    // Packer's calls go directly (its template names the endpoint by 127.0.0.1, which no proxy serves); the action's do not.
    const workspace = demoWith((text) => text.replace('{{env `AWS_ENDPOINT_URL_EC2`}}', suite.endpoint.url), 'json')
    const endpoint = endpointAs(proxied)
    const result = await suite.run(
      workspace,
      { template: 'packer-template.json', tags: 'Team=web' },
      { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, AWS_ENDPOINT_URL_EC2: endpoint }
    )

    expect(result.exitCode).toBe(1)
    const amis = amisOf(result)
    expect(Object.keys(amis).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2'])
    const target = new URL(endpoint).host
    for (const [region, amiId] of Object.entries(amis)) {
      expect(result.errors).toContainEqual({
        message:
          `Finding the snapshots of ${amiId} in ${region} failed: ProxyRefused — the proxy ${new URL(proxy.url).host} refused to pass the call on to ` +
          `${target}: HTTP 403 Forbidden. Nothing was tagged in ${region}.`,
        properties: { title: 'Tagging' }
      })
      expect(result.summary).toContain(amiId)
    }
    // Refused, not cut off: no call is tried again.
    expect(proxy.calls).toHaveLength(3)
  })

  it('a proxy that refuses the user and password (407): it says so, and the password is nowhere in the log', async () => {
    const proxy = await startProxy({ names: [proxied], credentials: 'builder:right' })
    // Packer's calls go directly (its template names the endpoint by 127.0.0.1, which no proxy serves); the action's do not.
    const workspace = demoWith((text) => text.replace('{{env `AWS_ENDPOINT_URL_EC2`}}', suite.endpoint.url), 'json')
    const refused = await suite.run(
      workspace,
      { template: 'packer-template.json', tags: 'Team=web' },
      { HTTP_PROXY: withUser(proxy, 'builder:wr0ng-pa55'), HTTPS_PROXY: withUser(proxy, 'builder:wr0ng-pa55'), AWS_ENDPOINT_URL_EC2: endpointAs(proxied) }
    )
    expect(refused.exitCode).toBe(1)
    const [[region, amiId]] = Object.entries(amisOf(refused)).sort()
    expect(refused.errors).toContainEqual({
      message: expect.stringContaining(
        `Finding the snapshots of ${amiId} in ${region} failed: ProxyRefused — the proxy ${new URL(proxy.url).host} refused to pass the call on to ` +
          `${new URL(endpointAs(proxied)).host}: HTTP 407 Proxy Authentication Required: it wants a user and password it accepts, in the proxy URL`
      ),
      properties: { title: 'Tagging' }
    })
    expect(shown(refused)).not.toContain('wr0ng-pa55')
  })

  it('downloads Packer through a proxy with a user and password and Squid\'s rules, from a releases mirror only the proxy knows, without a warning', async () => {
    const signingKey = (await openpgp.generateKey({ userIDs: [{ name: 'Mirror', email: 'releases@mirror.test' }], format: 'object' })).privateKey
    const version = packerVersion()
    const mirror = await startReleasesMirror({
      versions: [version],
      signingKey,
      platforms: [{ os: 'linux', arch: 'amd64' }],
      packerScript: () => `#!/bin/sh\nexec '${packer}' "$@"\n`
    })
    stopping.push(mirror)
    const proxy = await startProxy({ names: [proxied, 'releases.proxied.test'], credentials: 'builder:s3cr%t', connectPorts: [443] })
    const mirrorUrl = mirror.url.replace('127.0.0.1', 'releases.proxied.test')
    const result = await runBehind(
      withUser(proxy, 'builder:s3cr%25t'),
      endpointAs(proxied),
      { 'packer-releases-url': mirrorUrl, 'packer-signing-key': signingKey.toPublic().armor() },
      { PATH: '/nonexistent' }
    )

    expect({ exitCode: result.exitCode, errors: result.errors }).toEqual({ exitCode: 0, errors: [] })
    expect(mirror.requests).toContain(`/packer/${version}/packer_${version}_linux_amd64.zip`)
    // The mirror is an http:// one: the download takes the AWS calls' way, absolute-form requests.
    const downloads = proxy.calls.filter((call) => call.target === new URL(mirrorUrl).host)
    expect(downloads.length).toBeGreaterThan(0)
    expect(downloads.every((call) => call.kind === 'forward')).toBe(true)
    // Not Node's DEP0005 (`Buffer()` is deprecated), which the toolkit's tunnelling agent set off
    // with a proxy's user and password.
    expect(shown(result)).not.toMatch(/DeprecationWarning|DEP0005|s3cr|builder/)
  })
})
