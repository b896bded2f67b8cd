/**
 * Throw-away client certificates for the certificate credential (`--certificate`): self-signed RSA 2048
 * certificates made with WebCrypto and `@peculiar/x509` (as `certs.ts` makes the TLS ones), their keys
 * as PKCS#8 PEM (encrypted with `node:crypto` when asked), and PEM files written 0600.
 *
 * @module
 */
// @peculiar/x509 needs the Reflect metadata polyfill loaded before it (see certs.ts).
import 'reflect-metadata'
import { createPrivateKey, webcrypto } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'

const RSA_ALG = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const
const DAY_MS = 24 * 60 * 60 * 1000

/** A generated certificate and its key. */
export interface ClientCert {
  /** The certificate, PEM (LF line ends). */
  certPem: string
  /** The private key, unencrypted PKCS#8 PEM. */
  keyPem: string
  /** The certificate's DER, base64 (what `x5c` carries). */
  derBase64: string
  /** SHA-256 of the DER, base64url (what `x5t#S256` carries), computed by @peculiar/x509. */
  x5tS256: string
  /** SHA-1 of the DER, upper-case hex (the portal's "Thumbprint"), computed by @peculiar/x509. */
  sha1: string
  notAfter: Date
}

function toPem(der: ArrayBuffer, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/**
 * A self-signed RSA 2048 certificate, valid from `notBefore` (default an hour ago) to `notAfter`
 * (default in 30 days). `bits` changes the key size (e.g. 1024 to be refused).
 */
export async function makeClientCert(
  opts: { notBefore?: Date; notAfter?: Date; cn?: string; bits?: number } = {},
): Promise<ClientCert> {
  const now = Date.now()
  const keys = await webcrypto.subtle.generateKey({ ...RSA_ALG, modulusLength: opts.bits ?? 2048 }, true, [
    'sign',
    'verify',
  ])
  const notAfter = opts.notAfter ?? new Date(now + 30 * DAY_MS)
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
        .toString('hex')
        .replace(/^./, '4'),
      name: `CN=${opts.cn ?? 'entra-login test app'}`,
      keys,
      notBefore: opts.notBefore ?? new Date(now - 60 * 60 * 1000),
      notAfter,
      signingAlgorithm: RSA_ALG,
    },
    webcrypto,
  )
  const der = Buffer.from(cert.rawData)
  return {
    certPem: cert.toString('pem').replace(/\r\n/g, '\n').trimEnd().concat('\n'),
    keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    derBase64: der.toString('base64'),
    x5tS256: Buffer.from(await cert.getThumbprint('SHA-256', webcrypto)).toString('base64url'),
    sha1: Buffer.from(await cert.getThumbprint('SHA-1', webcrypto))
      .toString('hex')
      .toUpperCase(),
    notAfter,
  }
}

/** An EC P-256 key (PKCS#8 PEM), to be refused: Entra client certificates need RSA. */
export async function makeEcKeyPem(): Promise<string> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])
  return toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY')
}

/** The key as encrypted PKCS#8 PEM (AES-256-CBC), as `openssl pkcs8 -topk8 -v2 aes-256-cbc` writes it. */
export function encryptKey(keyPem: string, passphrase: string): string {
  return createPrivateKey(keyPem)
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase })
    .toString()
}

/** Writes `content` to `dir/name` with mode 0600 (or `mode`) and returns the path. */
export function writePem(dir: string, name: string, content: string, mode = 0o600): string {
  const path = join(dir, name)
  writeFileSync(path, content, { mode })
  chmodSync(path, mode)
  return path
}
