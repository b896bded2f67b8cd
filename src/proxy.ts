/**
 * Proxies: `HTTPS_PROXY`/`https_proxy` (then `HTTP_PROXY`/`http_proxy`) for https URLs, and
 * `NO_PROXY`/`no_proxy`, read from the run's environment and honoured for every request the CLI
 * sends (discovery, pre-flight, token, Graph: all go through the runtime's fetch, MSAL through
 * the HttpClient). Loopback addresses go through the proxy too unless `NO_PROXY` names them, as
 * curl does. Node 20's own fetch ignores these variables, so a proxied request goes through
 * undici's fetch with a `ProxyAgent` (undici is bundled into its own chunk and loaded only then;
 * its `EnvHttpProxyAgent` prints an "experimental" warning on Node 20, so `NO_PROXY` is decided
 * here, by {@link bypassesProxy}, for requests and messages alike).
 */

type Env = Readonly<Record<string, string | undefined>>

/** The proxy settings of this environment, or undefined when no proxy variable is set. */
export interface ProxySettings {
  httpsProxy: string | undefined
  httpProxy: string | undefined
  noProxy: string | undefined
}

const first = (env: Env, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = env[n]
    if (v !== undefined && v.trim() !== '') return v.trim()
  }
  return undefined
}

/** Reads the proxy variables (lower-case first, as curl does). */
export function proxySettings(env: Env): ProxySettings | undefined {
  const httpsProxy = first(env, 'https_proxy', 'HTTPS_PROXY')
  const httpProxy = first(env, 'http_proxy', 'HTTP_PROXY')
  if (httpsProxy === undefined && httpProxy === undefined) return undefined
  return { httpsProxy, httpProxy, noProxy: first(env, 'no_proxy', 'NO_PROXY') }
}

/** Whether `NO_PROXY` exempts `url` (exact hosts, `.suffix`/`suffix` domains, host:port, `*`). */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    // A bare IPv6 address (several colons, no brackets) has no port.
    const m =
      (entry.match(/:/g) ?? []).length > 1 && !entry.startsWith('[')
        ? [entry, entry]
        : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry)
    if (!m?.[1]) continue
    const name = m[1].replace(/^\[|\]$/g, '').replace(/^\*?\./, '.')
    if (m[2] !== undefined && m[2] !== port) continue
    if (
      name.startsWith('.')
        ? host.endsWith(name) || host === name.slice(1)
        : host === name || host.endsWith(`.${name}`)
    )
      return true
  }
  return false
}

/** The proxy URL (as configured, credentials included) a request to `url` goes through, if any. */
function proxyUrl(url: string, p: ProxySettings | undefined): string | undefined {
  if (p === undefined) return undefined
  const u = new URL(url)
  const proxy = u.protocol === 'https:' ? (p.httpsProxy ?? p.httpProxy) : p.httpProxy
  return proxy === undefined || bypassesProxy(u, p.noProxy) ? undefined : proxy
}

/** The proxy a request to `url` goes through, for messages (credentials removed), or undefined. */
export function proxyFor(url: string, p: ProxySettings | undefined): string | undefined {
  const proxy = proxyUrl(url, p)
  if (proxy === undefined) return undefined
  try {
    return new URL(proxy).origin
  } catch {
    return proxy
  }
}

/**
 * The fetch of a run: Node's own for a request no proxy variable covers (none set, or `NO_PROXY`);
 * otherwise undici's fetch through a `ProxyAgent` for that proxy (a CONNECT tunnel for https:
 * TLS stays end to end). undici is loaded on the first proxied request.
 */
export function proxiedFetch(env: Env): typeof globalThis.fetch {
  const p = proxySettings(env)
  if (p === undefined) return (input, init) => globalThis.fetch(input, init)
  type Undici = typeof import('undici')
  let undici: Promise<Undici> | undefined
  const agents = new Map<string, InstanceType<Undici['ProxyAgent']>>()
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const proxy = proxyUrl(url, p)
    if (proxy === undefined) return globalThis.fetch(input, init)
    // undici is CommonJS: bundled, its exports are the namespace's default.
    undici ??= import('undici').then((m) => (m as unknown as { default?: Undici }).default ?? m)
    const u = await undici
    let agent = agents.get(proxy)
    if (agent === undefined) {
      agent = new u.ProxyAgent(proxy)
      agents.set(proxy, agent)
    }
    return u.fetch(input as Parameters<Undici['fetch']>[0], {
      ...(init as Parameters<Undici['fetch']>[1]),
      dispatcher: agent,
    }) as unknown as Promise<Response>
  }
}
