/**
 * A local HTTPS stand-in for Microsoft Entra ID (v2 endpoints) and Microsoft Graph (`/me`, `/users`, `/groups`),
 * for tests.
 *
 * One `node:https` server on 127.0.0.1 serves both. Its TLS certificate is issued by a throw-away CA made by
 * {@link makeTestCerts}; trust it in a child process with `NODE_EXTRA_CA_CERTS=<standIn.caFile>` (read at
 * process start only), or in-process with `new https.Agent({ ca: standIn.caPem })`.
 *
 * The shapes (discovery document, token responses, JWT claims, AADSTS error bodies, Graph error bodies)
 * follow what Entra ID and Graph return; `/work/shared/research/msal.md` lists what msal-node 7 sends and
 * needs. Codes and texts of AADSTS errors that could not be checked against the live service are marked
 * "plausible" in comments.
 *
 * Layout of this folder: `state.ts` (what the handlers share), `server.ts` (TLS server and routing),
 * one file per endpoint group (`discovery.ts`, `authorize.ts`, `token.ts`, `graph.ts`, `logout.ts`),
 * `faults.ts` (the fault queue and the `/exfil` sink), `issue.ts` (scopes and signed tokens),
 * `assertion.ts` (registered certificates and the client-assertion verifier),
 * `errors.ts` (Entra- and Graph-shaped errors), `types.ts` (public types), `util.ts`.
 *
 * @example
 * ```ts
 * const idp = await startStandIn()
 * // spawn the CLI with { env: { ...process.env, NODE_EXTRA_CA_CERTS: idp.caFile } }
 * // and authority idp.authority(), client idp.clientId / idp.clientSecret
 * expect(idp.count('token', 'authorization_code')).toBe(1)
 * await idp.close()
 * ```
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeTestCerts } from '../certs.js'
import { registeredCertificate } from './assertion.js'
import { openidConfiguration } from './discovery.js'
import { signJwt } from './issue.js'
import { closeServer, startServer } from './server.js'
import { SITE_HOSTS, siteOf } from './sites.js'
import { createState, resetState, revokeRefreshTokens } from './state.js'
import type { StandIn, StandInOptions } from './types.js'

export type { AssertionRefusal, ClientAssertionRecord } from './assertion.js'
export { JWT_BEARER } from './assertion.js'
export type { EntraErrorBody, GraphErrorBody } from './errors.js'
export { entraError, graphError } from './errors.js'
export { NEW_GROUP_ID } from './graph.js'
export type {
  AuthorizeErrorKnob,
  AuthorizePageKnob,
  BigBodyFault,
  CannedFault,
  EndpointKind,
  FaultMatch,
  HangFault,
  IssuedSecrets,
  QueuedFault,
  RecordedRequest,
  RedirectFault,
  RedirectStatus,
  StandIn,
  StandInBehaviour,
  StandInOptions,
  StandInUser,
} from './types.js'

/**
 * Starts the stand-in on 127.0.0.1 (a free port unless `opts.port`), with fresh certificates and a fresh
 * RS256 signing key. Call {@link StandIn.close} when done.
 */
export async function startStandIn(opts: StandInOptions = {}): Promise<StandIn> {
  const ownCertDir = opts.certDir === undefined
  const certDir = opts.certDir ?? (await mkdtemp(join(tmpdir(), 'entra-stand-in-')))
  const [certs, s] = await Promise.all([makeTestCerts(certDir, { dnsNames: SITE_HOSTS }), createState(opts)])
  const server = await startServer(s, certs, opts.port ?? 0)
  const { url, host } = s

  return {
    url,
    port: (server.address() as AddressInfo).port,
    host,
    tenantId: s.tenantId,
    tenantDomain: s.tenantDomain,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    user: s.user,
    users: s.users,
    tenants: s.tenants,
    caFile: certs.caFile,
    caPem: certs.caPem,
    behaviour: s.behaviour,
    requests: s.requests,
    exfilHits: s.exfilHits,
    issued: s.issued,
    clientAssertions: s.clientAssertions,
    registerCertificate: (pem) => {
      s.certificates.push(registeredCertificate(pem))
    },
    authority: (tenant = s.tenantId) => `${url}/${tenant}`,
    openidConfiguration: (tenant?: string, host?: string) =>
      openidConfiguration(s, tenant, siteOf(host, url)),
    count(kind, grantType) {
      return s.requests.filter(
        (r) => r.kind === kind && (grantType === undefined || r.form?.grant_type === grantType),
      ).length
    },
    revokeRefreshTokens: (reason = 'inactivity') => revokeRefreshTokens(s, reason),
    sign: (claims) => signJwt(s, claims),
    reset: () => resetState(s),
    close() {
      return closeServer(s, server).then(() =>
        ownCertDir ? rm(certDir, { recursive: true, force: true }) : undefined,
      )
    },
  }
}

/**
 * For a test file: starts one stand-in for the whole file (top-level await), resets its
 * knobs and logs before each test, and closes it after the file.
 */
export async function standInForFile(opts: StandInOptions = {}): Promise<StandIn> {
  const { afterAll, beforeEach } = await import('vitest')
  const s = await startStandIn(opts)
  beforeEach(() => s.reset())
  afterAll(() => s.close())
  return s
}
