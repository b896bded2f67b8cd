/**
 * Throw-away TLS material for the local Entra ID stand-in.
 *
 * Everything is generated in-process with WebCrypto (`node:crypto`) and `@peculiar/x509`: no `openssl`
 * binary is needed. Keys are ECDSA P-256, which takes a few milliseconds to generate.
 *
 * @module
 */
// @peculiar/x509 2.x resolves its internals with tsyringe, which needs a Reflect metadata polyfill loaded
// before it (see the package README). Keep this side-effect import above the x509 import.
import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import * as x509 from '@peculiar/x509'

/** The CA and server certificate produced by {@link makeTestCerts}, all PEM encoded. */
export interface TestCerts {
  /** The throw-away CA certificate (PEM). Trust this one, e.g. `new https.Agent({ ca: caPem })`. */
  caPem: string
  /** Absolute path of the CA certificate on disk (`${dir}/ca.pem`), for `NODE_EXTRA_CA_CERTS`. */
  caFile: string
  /** The server certificate (PEM), issued by the CA, SAN `DNS:localhost, IP:127.0.0.1, IP:::1` (and `dnsNames`). */
  certPem: string
  /** The server's private key (PKCS#8 PEM, ECDSA P-256). */
  keyPem: string
}

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const
const SIGNING_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const
const DAY_MS = 24 * 60 * 60 * 1000

// Passed explicitly so that the library's global crypto provider is left alone.
const provider = webcrypto

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16))
  // Keep the serial positive (top bit clear) and non-zero-prefixed, as RFC 5280 asks.
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40
  return Buffer.from(bytes).toString('hex')
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64')
  const lines = b64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/**
 * Generates a throw-away CA (basicConstraints CA:true) and a server certificate it signs, valid from one
 * hour ago for three days, with SAN `DNS:localhost`, `IP:127.0.0.1` and `IP:::1`, then `opts.dnsNames`
 * (e.g. `login.microsoftonline.us`, for clients that reach the server under that name through a proxy).
 *
 * The CA certificate is written to `${dir}/ca.pem` (the directory is created if needed) because Node only
 * reads `NODE_EXTRA_CA_CERTS` from a file, at process start.
 *
 * @param dir Directory that receives `ca.pem`.
 * @param opts.dnsNames More DNS names for the server certificate's SAN.
 */
export async function makeTestCerts(
  dir: string,
  opts: { dnsNames?: readonly string[] } = {},
): Promise<TestCerts> {
  const now = Date.now()
  const notBefore = new Date(now - 60 * 60 * 1000)
  const notAfter = new Date(now + 3 * DAY_MS)

  const [caKeys, serverKeys] = await Promise.all([
    webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']),
    webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify']),
  ])

  const caName = `CN=entra-login test CA ${randomSerial().slice(0, 8)}, O=entra-login tests`
  const caSki = await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, provider)
  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: caName,
      keys: caKeys,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING_ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        caSki,
      ],
    },
    provider,
  )

  const server = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: 'CN=localhost, O=entra-login tests',
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING_ALG,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
          ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey, false, provider),
        new x509.AuthorityKeyIdentifierExtension(caSki.keyId),
      ],
    },
    provider,
  )

  const caPem = ca.toString('pem').replace(/\r\n/g, '\n').trimEnd().concat('\n')
  const certPem = server.toString('pem').replace(/\r\n/g, '\n').trimEnd().concat('\n')
  const keyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey), 'PRIVATE KEY')

  await mkdir(dir, { recursive: true })
  const caFile = resolve(dir, 'ca.pem')
  await writeFile(caFile, caPem)
  return { caPem, caFile, certPem, keyPem }
}
