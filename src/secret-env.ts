/** Environment variables that may hold the client secret: never passed to anything we start. */
export const SECRET_ENV = ['ENTRA_CLIENT_SECRET', 'CLIENT_SECRET']
