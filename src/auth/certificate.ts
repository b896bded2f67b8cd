/**
 * The certificate credential (`--certificate <pem>`, private_key_jwt): one PEM file holding the
 * app's certificate and its private key, read once and checked before any request (exit 2,
 * CERTIFICATE), then used to sign a fresh client assertion for every token request.
 *
 * The checks, in order: a regular file; PEM; at least one certificate and exactly one private key;
 * nobody but the owner may read it (like ssh's key files); the certificate valid now; the key
 * decrypted (ENTRA_CERTIFICATE_PASSWORD, or a hidden prompt on a terminal); RSA of 2048 bits or
 * more; the key matching the certificate. The assertion is what msal-node's `clientCertificate`
 * signs (PS256, `x5t#S256`, `x5c`, aud = the token endpoint, iss = sub = the client id, nbf, exp
 * ten minutes on, a fresh jti), made here so that each request gets its own `jti` (MSAL reuses
 * one assertion for ten minutes) and so that the key is read only when a request is sent.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  type KeyObject,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto'
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync } from 'node:fs'
import { CliError } from '../errors.js'

/** How long a client assertion is valid (MSAL's ten minutes). */
export const ASSERTION_LIFETIME_SECONDS = 600

/** A certificate credential, checked and ready to sign. */
export interface LoadedCertificate {
  path: string
  /** SHA-256 of the certificate (DER), upper-case hex. */
  thumbprintSha256: string
  /** SHA-1 of the certificate (DER), upper-case hex: the "Thumbprint" the Entra portal shows. */
  thumbprintSha1: string
  /** `x5t#S256`: the SHA-256 thumbprint, base64url. */
  x5tS256: string
  /** `x5c`: every certificate of the file, base64 DER, in file order (the app's first). */
  x5c: string[]
  subject: string
  notBefore: Date
  notAfter: Date
  /** The private key. Never printed. */
  key: KeyObject
}

/** Where the key's passphrase came from, if it came from anywhere but the prompt. */
export interface Passphrase {
  value: string
  /** e.g. `ENTRA_CERTIFICATE_PASSWORD`, `ENTRA_CERTIFICATE_PASSWORD in .env`. */
  source: string
}

const README = 'README: Certificate credential'

function certificateError(message: string, hint: string, cause?: unknown): CliError {
  return new CliError('CERTIFICATE', message, { hint, cause })
}

/** `2030-01-31T12:00:00Z`. */
function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`
}

/**
 * Reads the file without following it into a FIFO or a device (O_NONBLOCK, then fstat on the
 * handle): a regular file or a CERTIFICATE error naming the path and the OS reason.
 */
export function readCertificateFile(path: string, origin: string): { data: Buffer; mode: number } {
  let fd: number
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw certificateError(
      `cannot read the certificate file ${path} (from ${origin}): ${code}`,
      `check the path: ${origin} names a PEM file holding the certificate and its private key (${README})`,
      err,
    )
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) {
      throw certificateError(
        `the certificate file ${path} (from ${origin}) is not a regular file`,
        `name the PEM file holding the certificate and its private key (${README})`,
      )
    }
    try {
      return { data: readFileSync(fd), mode: st.mode }
    } catch (err) {
      throw certificateError(
        `cannot read the certificate file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        'check the file and its permissions',
        err,
      )
    }
  } finally {
    closeSync(fd)
  }
}

/** The blocks of a PEM file, by label. */
interface PemParts {
  certificates: string[]
  keys: { pem: string; encrypted: boolean }[]
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g
const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'])

/** Splits PEM text into its certificates and private keys; a CERTIFICATE error when either is missing. */
export function pemParts(text: string, path: string): PemParts {
  if (!text.includes('-----BEGIN ')) {
    throw certificateError(
      `the certificate file ${path} is not PEM (no -----BEGIN line)`,
      `give a PEM file holding the certificate and its private key; a .pfx converts with \`openssl pkcs12 -in app.pfx -out app.pem\` (${README})`,
    )
  }
  const parts: PemParts = { certificates: [], keys: [] }
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1] as string
    if (label === 'CERTIFICATE') parts.certificates.push(m[0])
    else if (KEY_LABELS.has(label)) {
      const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(m[0])
      parts.keys.push({ pem: m[0], encrypted })
    }
  }
  if (parts.certificates.length === 0 && parts.keys.length === 0) {
    throw certificateError(
      `the certificate file ${path} holds neither a certificate nor a private key`,
      `give a PEM file holding the certificate and its private key (${README})`,
    )
  }
  if (parts.certificates.length === 0) {
    throw certificateError(
      `the certificate file ${path} holds a private key but no certificate`,
      `append the certificate to it, e.g. \`cat cert.pem >> ${path}\``,
    )
  }
  if (parts.keys.length === 0) {
    throw certificateError(
      `the certificate file ${path} holds no private key`,
      `append the certificate's private key to it, e.g. \`cat key.pem >> ${path}\``,
    )
  }
  if (parts.keys.length > 1) {
    throw certificateError(
      `the certificate file ${path} holds ${parts.keys.length} private keys`,
      "keep only the certificate's own private key in it",
    )
  }
  return parts
}

/** Throws a CERTIFICATE error unless group and others can neither read nor write the file (POSIX only). */
export function checkKeyFileMode(path: string, mode: number): void {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return
  throw certificateError(
    `the certificate file ${path} holds a private key that group or others can access (mode ${(mode & 0o7777).toString(8)})`,
    `run \`chmod 600 ${path}\``,
  )
}

/** Parses the certificates (the app's first); a CERTIFICATE error for one that is not X.509. */
export function parseCertificates(pems: readonly string[], path: string): X509Certificate[] {
  return pems.map((pem) => {
    try {
      return new X509Certificate(pem)
    } catch (err) {
      throw certificateError(
        `the certificate in ${path} cannot be read: ${(err as Error).message}`,
        `give a PEM file holding the certificate and its private key (${README})`,
        err,
      )
    }
  })
}

/** The certificate's validity at `nowMs`: a CERTIFICATE error when it is expired or not yet valid. */
export function checkValidity(
  cert: X509Certificate,
  nowMs: number,
  path: string,
): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.parse(cert.validFrom))
  const notAfter = new Date(Date.parse(cert.validTo))
  if (nowMs > notAfter.getTime()) {
    throw certificateError(
      `the certificate in ${path} expired on ${isoSeconds(notAfter)}`,
      `make a new one, upload it to the app registration and point --certificate at it (${README})`,
    )
  }
  if (nowMs < notBefore.getTime()) {
    throw certificateError(
      `the certificate in ${path} is not valid before ${isoSeconds(notBefore)}`,
      "check this machine's clock, or use a certificate that is valid now",
    )
  }
  return { notBefore, notAfter }
}

/**
 * The private key: decrypted with the passphrase when it is encrypted (a wrong one is a
 * CERTIFICATE error), an RSA key of at least 2048 bits.
 */
export function privateKey(
  key: { pem: string; encrypted: boolean },
  passphrase: Passphrase | undefined,
  path: string,
): KeyObject {
  let k: KeyObject
  try {
    k = key.encrypted
      ? createPrivateKey({ key: key.pem, format: 'pem', passphrase: passphrase?.value ?? '' })
      : createPrivateKey({ key: key.pem, format: 'pem' })
  } catch (err) {
    if (key.encrypted) {
      throw certificateError(
        `the passphrase does not decrypt the key in ${path}`,
        passphrase === undefined || passphrase.source === 'the prompt'
          ? 'run again and type the passphrase the key was encrypted with'
          : `check ${passphrase.source}: it must be the passphrase the key was encrypted with`,
        err,
      )
    }
    throw certificateError(
      `the private key in ${path} cannot be read: ${(err as Error).message}`,
      `give a PEM file holding the certificate and its private key (${README})`,
      err,
    )
  }
  if (k.asymmetricKeyType !== 'rsa') {
    throw certificateError(
      `the private key in ${path} is ${k.asymmetricKeyType ?? 'of an unknown type'}, not RSA`,
      `Entra client certificates need an RSA key: make one with \`openssl req -x509 -newkey rsa:2048 …\` (${README})`,
    )
  }
  const bits = k.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < 2048) {
    throw certificateError(
      `the RSA key in ${path} has ${bits} bits; Entra needs at least 2048`,
      `make a new certificate with \`openssl req -x509 -newkey rsa:2048 …\` (${README})`,
    )
  }
  return k
}

/** Throws a CERTIFICATE error unless `key` is the private key of `cert`. */
export function checkKeyMatches(cert: X509Certificate, key: KeyObject, path: string): void {
  if (!cert.checkPrivateKey(key)) {
    throw certificateError(
      `the private key in ${path} does not match its certificate`,
      'put the key the certificate was made with in the file, beside that certificate',
    )
  }
}

function thumbprint(cert: X509Certificate, algorithm: 'sha1' | 'sha256'): Buffer {
  return createHash(algorithm).update(cert.raw).digest()
}

/** Base64 lines of a PEM block's body (what a redactor must know of a key). */
function base64Lines(pem: string): string[] {
  return pem.split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/=]{8,}$/.test(l))
}

/** What {@link loadCertificate} needs. */
export interface LoadOptions {
  path: string
  /** Where the path came from (`--certificate`, `ENTRA_CERTIFICATE`, `"certificate" in …`). */
  origin: string
  /** The passphrase of an encrypted key (asked only for one): given, asked on a terminal, or undefined. */
  passphrase: () => Promise<Passphrase | undefined>
  nowMs: number
  /** Called with every secret value read: the key's text, the passphrase (for the redactor). */
  onSecret: (value: string) => void
}

/** Reads and checks the credential (see the module comment for the order); a CERTIFICATE error when unusable. */
export async function loadCertificate(o: LoadOptions): Promise<LoadedCertificate> {
  const { path } = o
  const { data, mode } = readCertificateFile(path, o.origin)
  const parts = pemParts(data.toString('utf8'), path)
  for (const key of parts.keys) for (const line of base64Lines(key.pem)) o.onSecret(line)
  checkKeyFileMode(path, mode)
  const certs = parseCertificates(parts.certificates, path)
  const leaf = certs[0] as X509Certificate
  const { notBefore, notAfter } = checkValidity(leaf, o.nowMs, path)
  const keyPart = parts.keys[0] as { pem: string; encrypted: boolean }
  let passphrase: Passphrase | undefined
  if (keyPart.encrypted) {
    passphrase = await o.passphrase()
    if (passphrase === undefined) {
      throw certificateError(
        `the private key in ${path} is encrypted and no passphrase was given`,
        'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
      )
    }
    o.onSecret(passphrase.value)
  }
  const key = privateKey(keyPart, passphrase, path)
  checkKeyMatches(leaf, key, path)
  const sha256 = thumbprint(leaf, 'sha256')
  return {
    path,
    thumbprintSha256: sha256.toString('hex').toUpperCase(),
    thumbprintSha1: thumbprint(leaf, 'sha1').toString('hex').toUpperCase(),
    x5tS256: sha256.toString('base64url'),
    x5c: certs.map((c) => c.raw.toString('base64')),
    subject: leaf.subject.replace(/\n/g, ', '),
    notBefore,
    notAfter,
    key,
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * A client assertion (RFC 7523) as msal-node's `clientCertificate` makes it: header
 * `{alg: PS256, typ: JWT, x5t#S256, x5c}`, claims `{aud, iss, sub, jti, nbf, iat, exp}` with
 * iss = sub = the client id and exp ten minutes after now; signed RSASSA-PSS SHA-256.
 */
export function signAssertion(
  cert: LoadedCertificate,
  claims: { clientId: string; audience: string; nowMs: number; jti?: string },
): string {
  const now = Math.floor(claims.nowMs / 1000)
  const header = { alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256, x5c: cert.x5c }
  const payload = {
    aud: claims.audience,
    iss: claims.clientId,
    sub: claims.clientId,
    jti: claims.jti ?? randomUUID(),
    nbf: now,
    iat: now,
    exp: now + ASSERTION_LIFETIME_SECONDS,
  }
  const input = `${b64url(header)}.${b64url(payload)}`
  const signature = sign('sha256', Buffer.from(input), {
    key: cert.key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  })
  return `${input}.${signature.toString('base64url')}`
}

/** What {@link ClientCertificate} needs. */
export interface ClientCertificateOptions {
  /** Absolute path of the PEM file. */
  path: string
  /** Where the path came from, for messages. */
  origin: string
  clientId: string
  /** The passphrase from ENTRA_CERTIFICATE_PASSWORD (or the `--dotenv` file), if set. */
  passphrase: Passphrase | undefined
  /** Asks for the passphrase on a terminal (hidden); undefined: never ask. */
  ask: ((message: string) => Promise<string>) | undefined
  now: () => number
  onSecret: (value: string) => void
  debug: ((line: string) => void) | undefined
}

/**
 * The certificate credential of one run: read and checked on first use, at most once (a
 * `token` or `whoami` cache hit never reads it), then one fresh assertion per token request.
 */
export class ClientCertificate {
  readonly #o: ClientCertificateOptions
  #loaded: Promise<LoadedCertificate> | undefined
  #value: LoadedCertificate | undefined

  constructor(o: ClientCertificateOptions) {
    this.#o = o
  }

  get path(): string {
    return this.#o.path
  }

  get origin(): string {
    return this.#o.origin
  }

  /** The credential once {@link get} has read it, else undefined. */
  get loaded(): LoadedCertificate | undefined {
    return this.#value
  }

  /** The checked credential (a CERTIFICATE error, exit 2, when it cannot be used). */
  get(): Promise<LoadedCertificate> {
    const o = this.#o
    this.#loaded ??= loadCertificate({
      path: o.path,
      origin: o.origin,
      nowMs: o.now(),
      onSecret: o.onSecret,
      passphrase: async () => {
        if (o.passphrase !== undefined) return o.passphrase
        if (o.ask === undefined) return undefined
        const value = await o.ask(`Passphrase of the private key in ${o.path} (input hidden):`)
        return { value, source: 'the prompt' }
      },
    }).then((c) => {
      this.#value = c
      o.debug?.(
        `credential: certificate ${c.path} (from ${o.origin}), thumbprint SHA-256 ${c.thumbprintSha256}, valid until ${isoSeconds(c.notAfter)}`,
      )
      return c
    })
    return this.#loaded
  }

  /** A freshly signed client assertion for the token endpoint `audience`. */
  async assertion(audience: string): Promise<string> {
    const cert = await this.get()
    const jwt = signAssertion(cert, { clientId: this.#o.clientId, audience, nowMs: this.#o.now() })
    this.#o.onSecret(jwt)
    return jwt
  }
}

/** `2030-01-31T12:00:00Z`, for messages about the certificate. */
export { isoSeconds as certificateDate }
