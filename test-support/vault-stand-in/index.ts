// A HashiCorp Vault on 127.0.0.1, as far as Packer's `vault` template function reads it: a
// key/value (version 2) secret by path, for the token given. Every read is recorded. With
// `hang`, it takes each request and never answers, like a Vault behind a dead network path.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface VaultStandIn {
  /** VAULT_ADDR for Packer. */
  url: string
  /** The paths read, in order (`secret/data/ci`), with the token each read gave. */
  reads: Array<{ path: string; token: string }>
  close(): Promise<void>
}

/** `secrets` by path as Packer names them (`secret/data/ci`); reads need `token` as X-Vault-Token. */
export async function startVault(
  token: string,
  secrets: Record<string, Record<string, string>>,
  options: { hang?: true } = {}
): Promise<VaultStandIn> {
  const reads: VaultStandIn['reads'] = []
  const server = createServer((request, response) => {
    const path = (request.url ?? '').replace(/^\/v1\//, '').replace(/\?.*$/, '')
    const given = String(request.headers['x-vault-token'] ?? '')
    reads.push({ path, token: given })
    if (options.hang) return
    response.setHeader('content-type', 'application/json')
    const answer = (status: number, body: unknown): void => {
      response.statusCode = status
      response.end(JSON.stringify(body))
    }
    if (request.method !== 'GET') answer(405, { errors: [`${request.method} is not supported here`] })
    else if (given !== token) answer(403, { errors: ['permission denied'] })
    else if (!(path in secrets)) answer(404, { errors: [] })
    else answer(200, { request_id: 'stand-in', lease_duration: 0, renewable: false, data: { data: secrets[path], metadata: { version: 1 } } })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
