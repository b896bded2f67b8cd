/**
 * The certificate credential (src/auth/certificate.ts), in process: every way a PEM file can be
 * unusable, the checks' order, and the client assertion it signs (verified with jose, independently).
 */
import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compactVerify, decodeJwt, decodeProtectedHeader, importX509 } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ClientCertificate,
  type LoadedCertificate,
  loadCertificate,
  type Passphrase,
  signAssertion,
} from '../../src/auth/certificate.js'
import { CliError } from '../../src/errors.js'
import { Redactor } from '../../src/redact.js'
import {
  type ClientCert,
  encryptKey,
  makeClientCert,
  makeEcKeyPem,
  writePem,
} from '../support/client-certs.js'

const NOT_BEFORE = new Date('2024-01-01T00:00:00Z')
const NOT_AFTER = new Date('2030-01-31T12:00:00Z')
/** Within the certificate's validity. */
const NOW = Date.parse('2026-06-01T10:00:00Z')

let cert: ClientCert
let other: ClientCert
let dir: string

beforeAll(async () => {
  ;[cert, other] = await Promise.all([
    makeClientCert({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER }),
    makeClientCert({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER }),
  ])
  dir = mkdtempSync(join(tmpdir(), 'entra-cert-unit-'))
})

let n = 0
/** A 0600 file holding `content` (or `mode`). */
function file(content: string, mode = 0o600): string {
  n++
  return writePem(dir, `c${n}.pem`, content, mode)
}

async function load(
  path: string,
  o: { passphrase?: Passphrase; nowMs?: number; asked?: string[] } = {},
): Promise<LoadedCertificate> {
  return loadCertificate({
    path,
    origin: '--certificate',
    nowMs: o.nowMs ?? NOW,
    onSecret: () => {},
    passphrase: async () => {
      o.asked?.push('asked')
      return o.passphrase
    },
  })
}

/** The error `p` rejects with: code, message and hint. */
async function failure(p: Promise<unknown>): Promise<[string, string, string | undefined]> {
  try {
    await p
  } catch (err) {
    if (err instanceof CliError) return [err.code, err.message, err.hint]
    throw err
  }
  throw new Error('did not fail')
}

describe('loadCertificate: a usable PEM file', () => {
  it('reads the certificate and key: thumbprints, x5c, validity as @peculiar/x509 computes them', async () => {
    const path = file(cert.certPem + cert.keyPem)
    const c = await load(path)
    expect(c.path).toBe(path)
    expect(c.x5tS256).toBe(cert.x5tS256)
    expect(Buffer.from(c.x5tS256, 'base64url').toString('hex').toUpperCase()).toBe(c.thumbprintSha256)
    expect(c.thumbprintSha1).toBe(cert.sha1)
    expect(c.x5c).toEqual([cert.derBase64])
    expect(c.subject).toBe('CN=entra-login test app')
    expect(c.notBefore.toISOString()).toBe('2024-01-01T00:00:00.000Z')
    expect(c.notAfter.toISOString()).toBe('2030-01-31T12:00:00.000Z')
    expect(c.key.asymmetricKeyType).toBe('rsa')
  })

  it('the key may come first; every certificate of the file goes into x5c, in file order', async () => {
    const path = file(cert.keyPem + cert.certPem + other.certPem)
    expect((await load(path)).x5c).toEqual([cert.derBase64, other.derBase64])
  })

  it('an unencrypted key never asks for a passphrase', async () => {
    const asked: string[] = []
    await load(file(cert.certPem + cert.keyPem), { asked })
    expect(asked).toEqual([])
  })

  it('an encrypted PKCS#8 key is decrypted with the passphrase', async () => {
    const path = file(cert.certPem + encryptKey(cert.keyPem, 'correct horse battery'))
    const c = await load(path, {
      passphrase: { value: 'correct horse battery', source: 'ENTRA_CERTIFICATE_PASSWORD' },
    })
    expect(c.thumbprintSha1).toBe(cert.sha1)
  })
})

describe('loadCertificate: each unusable file is a CERTIFICATE error (exit 2) naming the problem', () => {
  it('a missing file', async () => {
    expect(await failure(load(join(dir, 'missing.pem')))).toEqual([
      'CERTIFICATE',
      `cannot read the certificate file ${join(dir, 'missing.pem')} (from --certificate): ENOENT`,
      'check the path: --certificate names a PEM file holding the certificate and its private key (README: Certificate credential)',
    ])
  })

  it('a folder', async () => {
    expect(await failure(load(dir))).toEqual([
      'CERTIFICATE',
      `the certificate file ${dir} (from --certificate) is not a regular file`,
      'name the PEM file holding the certificate and its private key (README: Certificate credential)',
    ])
  })

  it('not PEM (e.g. DER or a .pfx)', async () => {
    const path = file(Buffer.from(cert.derBase64, 'base64').toString('latin1'))
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} is not PEM (no -----BEGIN line)`,
      'give a PEM file holding the certificate and its private key; a .pfx converts with `openssl pkcs12 -in app.pfx -out app.pem` (README: Certificate credential)',
    ])
  })

  it('PEM with neither a certificate nor a private key', async () => {
    const path = file('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} holds neither a certificate nor a private key`,
      'give a PEM file holding the certificate and its private key (README: Certificate credential)',
    ])
  })

  it('a certificate only', async () => {
    const path = file(cert.certPem)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} holds no private key`,
      `append the certificate's private key to it, e.g. \`cat key.pem >> ${path}\``,
    ])
  })

  it('a key only', async () => {
    const path = file(cert.keyPem)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} holds a private key but no certificate`,
      `append the certificate to it, e.g. \`cat cert.pem >> ${path}\``,
    ])
  })

  it('two keys', async () => {
    const path = file(cert.certPem + cert.keyPem + other.keyPem)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} holds 2 private keys`,
      "keep only the certificate's own private key in it",
    ])
  })

  it.each([
    ['644', 0o644],
    ['640', 0o640],
    ['604', 0o604],
    ['620', 0o620],
  ])('a key file group or others can access (mode %s)', async (shown, mode) => {
    const path = file(cert.certPem + cert.keyPem, mode)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the certificate file ${path} holds a private key that group or others can access (mode ${shown})`,
      `run \`chmod 600 ${path}\``,
    ])
  })

  it('mode 0400 is fine', async () => {
    const path = file(cert.certPem + cert.keyPem)
    chmodSync(path, 0o400)
    expect((await load(path)).thumbprintSha1).toBe(cert.sha1)
  })

  it('a certificate that is not X.509', async () => {
    const path = file(
      `-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n${cert.keyPem}`,
    )
    const [code, message] = await failure(load(path))
    expect(code).toBe('CERTIFICATE')
    expect(message.startsWith(`the certificate in ${path} cannot be read: `)).toBe(true)
  })

  it('an expired certificate (one millisecond after its notAfter)', async () => {
    const path = file(cert.certPem + cert.keyPem)
    expect(await failure(load(path, { nowMs: Date.parse('2030-01-31T12:00:00.001Z') }))).toEqual([
      'CERTIFICATE',
      `the certificate in ${path} expired on 2030-01-31T12:00:00Z`,
      'make a new one, upload it to the app registration and point --certificate at it (README: Certificate credential)',
    ])
    // Its last second is still fine.
    expect((await load(path, { nowMs: Date.parse('2030-01-31T12:00:00Z') })).x5tS256).toBe(cert.x5tS256)
  })

  it('a certificate not yet valid', async () => {
    const path = file(cert.certPem + cert.keyPem)
    expect(await failure(load(path, { nowMs: Date.parse('2023-12-31T23:59:59Z') }))).toEqual([
      'CERTIFICATE',
      `the certificate in ${path} is not valid before 2024-01-01T00:00:00Z`,
      "check this machine's clock, or use a certificate that is valid now",
    ])
  })

  it('an expired certificate with an encrypted key: refused before the passphrase is asked', async () => {
    const asked: string[] = []
    const path = file(cert.certPem + encryptKey(cert.keyPem, 'pw-12345678'))
    const [, message] = await failure(load(path, { nowMs: Date.parse('2031-01-01T00:00:00Z'), asked }))
    expect(message).toBe(`the certificate in ${path} expired on 2030-01-31T12:00:00Z`)
    expect(asked).toEqual([])
  })

  it('a key that does not match the certificate', async () => {
    const path = file(cert.certPem + other.keyPem)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the private key in ${path} does not match its certificate`,
      'put the key the certificate was made with in the file, beside that certificate',
    ])
  })

  it('an encrypted key and no passphrase', async () => {
    const path = file(cert.certPem + encryptKey(cert.keyPem, 'pw-12345678'))
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the private key in ${path} is encrypted and no passphrase was given`,
      'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
    ])
  })

  it('an encrypted key and a wrong passphrase, from the environment or the prompt', async () => {
    const path = file(cert.certPem + encryptKey(cert.keyPem, 'pw-12345678'))
    expect(
      await failure(
        load(path, { passphrase: { value: 'wrong-pass', source: 'ENTRA_CERTIFICATE_PASSWORD' } }),
      ),
    ).toEqual([
      'CERTIFICATE',
      `the passphrase does not decrypt the key in ${path}`,
      'check ENTRA_CERTIFICATE_PASSWORD: it must be the passphrase the key was encrypted with',
    ])
    expect(await failure(load(path, { passphrase: { value: 'wrong-pass', source: 'the prompt' } }))).toEqual([
      'CERTIFICATE',
      `the passphrase does not decrypt the key in ${path}`,
      'run again and type the passphrase the key was encrypted with',
    ])
  })

  it('a key that is not RSA', async () => {
    const path = file(cert.certPem + (await makeEcKeyPem()))
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the private key in ${path} is ec, not RSA`,
      'Entra client certificates need an RSA key: make one with `openssl req -x509 -newkey rsa:2048 …` (README: Certificate credential)',
    ])
  })

  it('an RSA key under 2048 bits', async () => {
    const small = await makeClientCert({ bits: 1024, notBefore: NOT_BEFORE, notAfter: NOT_AFTER })
    const path = file(small.certPem + small.keyPem)
    expect(await failure(load(path))).toEqual([
      'CERTIFICATE',
      `the RSA key in ${path} has 1024 bits; Entra needs at least 2048`,
      'make a new certificate with `openssl req -x509 -newkey rsa:2048 …` (README: Certificate credential)',
    ])
  })
})

describe('signAssertion: what msal-node signs with a certificate', () => {
  it('PS256 with x5t#S256 and x5c; aud, iss = sub = the client id, nbf = iat = now, exp ten minutes on', async () => {
    const c = await load(file(cert.certPem + cert.keyPem))
    const jwt = signAssertion(c, {
      clientId: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      audience: 'https://login.example/tenant/oauth2/v2.0/token',
      nowMs: Date.parse('2026-06-01T10:00:00.900Z'),
      jti: 'c0ffee00-0000-4000-8000-000000000001',
    })
    expect(decodeProtectedHeader(jwt)).toEqual({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': cert.x5tS256,
      x5c: [cert.derBase64],
    })
    expect(decodeJwt(jwt)).toEqual({
      aud: 'https://login.example/tenant/oauth2/v2.0/token',
      iss: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      sub: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      jti: 'c0ffee00-0000-4000-8000-000000000001',
      nbf: 1780308000,
      iat: 1780308000,
      exp: 1780308600,
    })
    // The signature verifies with the certificate's public key, and only as PS256.
    const key = await importX509(cert.certPem, 'PS256')
    await expect(compactVerify(jwt, key, { algorithms: ['PS256'] })).resolves.toBeDefined()
    const otherKey = await importX509(other.certPem, 'PS256')
    await expect(compactVerify(jwt, otherKey, { algorithms: ['PS256'] })).rejects.toThrow(
      'signature verification failed',
    )
  })
})

describe('ClientCertificate: read once, one fresh assertion per request', () => {
  it('asks for the passphrase once, hands the passphrase, the key lines and each assertion to the redactor', async () => {
    const encrypted = encryptKey(cert.keyPem, 'open-sesame-42')
    const path = file(cert.certPem + encrypted)
    const prompts: string[] = []
    const redactor = new Redactor()
    const debug: string[] = []
    const c = new ClientCertificate({
      path,
      origin: '--certificate',
      clientId: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      passphrase: undefined,
      ask: async (message) => {
        prompts.push(message)
        return 'open-sesame-42'
      },
      now: () => NOW,
      onSecret: (v) => redactor.add(v),
      debug: (line) => debug.push(line),
    })
    expect(c.loaded).toBe(undefined)
    const a1 = await c.assertion('https://login.example/t/oauth2/v2.0/token')
    const a2 = await c.assertion('https://login.example/t/oauth2/v2.0/token')
    expect(prompts).toEqual([`Passphrase of the private key in ${path} (input hidden):`])
    expect(decodeJwt(a1).jti).not.toBe(decodeJwt(a2).jti)
    expect(decodeJwt(a1).jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(c.loaded?.thumbprintSha1).toBe(cert.sha1)
    expect(debug).toEqual([
      `credential: certificate ${path} (from --certificate), thumbprint SHA-256 ${c.loaded?.thumbprintSha256}, valid until 2030-01-31T12:00:00Z`,
    ])
    // Every line of the key as written, the passphrase and the assertions are known to the redactor.
    const keyLines = encrypted.split('\n').filter((l) => l !== '' && !l.startsWith('-----'))
    const text = ['pass open-sesame-42', ...keyLines, a1, a2].join('\n')
    const out = redactor.redact(text)
    expect(out).not.toContain('open-sesame-42')
    for (const line of keyLines.filter((l) => l.length >= 8)) expect(out).not.toContain(line)
    expect(out).not.toContain(a1.split('.')[2])
  })

  it('off a terminal (no prompt) an encrypted key without ENTRA_CERTIFICATE_PASSWORD fails', async () => {
    const path = file(cert.certPem + encryptKey(cert.keyPem, 'pw-12345678'))
    const c = new ClientCertificate({
      path,
      origin: 'ENTRA_CERTIFICATE',
      clientId: 'b5f0e3a1-6c2d-4f8e-9a7b-1d3c5e7f9a2b',
      passphrase: undefined,
      ask: undefined,
      now: () => NOW,
      onSecret: () => {},
      debug: undefined,
    })
    expect(await failure(c.get())).toEqual([
      'CERTIFICATE',
      `the private key in ${path} is encrypted and no passphrase was given`,
      'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
    ])
  })
})

describe('Redactor: PEM private keys', () => {
  it('a private key block, encrypted or not, even cut off, is redacted whole', () => {
    const r = new Redactor()
    const key = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'
    const enc =
      '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkq\n-----END ENCRYPTED PRIVATE KEY-----'
    expect(r.redact(`a ${key} b ${enc} c`)).toBe('a [redacted private key] b [redacted private key] c')
    expect(r.redact('x -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA')).toBe('x [redacted private key]')
  })
})
