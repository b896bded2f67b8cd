/**
 * Environment variables that may hold the client secret or the certificate key's passphrase:
 * never passed to anything we start.
 */
export const SECRET_ENV = ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET', 'ENTRA_CERTIFICATE_PASSWORD']
