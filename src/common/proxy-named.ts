// Whether the runner names a proxy, asked before anything of ./proxy.ts is loaded: a run
// without one never loads it.
const proxyVariables = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY']

/** Whether the environment names a proxy at all: with none, Node's and the SDK's own agents serve. */
export function proxyNamed(env: NodeJS.ProcessEnv = process.env): boolean {
  return proxyVariables.some((name) => (env[name] ?? '') !== '')
}
