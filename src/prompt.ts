/** Hidden prompt for the client secret (placeholder: replaced by @inquirer/password). */
import { usageError } from './errors.js'
import type { IO } from './io.js'

/** Reads a line from a terminal without echoing it. */
export function promptSecret(io: IO, question: string): Promise<string> {
  const input = process.stdin
  return new Promise((resolve, reject) => {
    input.setRawMode(true)
    input.setEncoding('utf8')
    io.stderr.write(question)
    let value = ''
    const finish = (err?: Error) => {
      input.setRawMode(false)
      input.off('data', onData)
      input.pause()
      io.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003' || ch === '\u0004') return finish(usageError('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else if (ch >= ' ') value += ch
      }
    }
    input.on('data', onData)
    input.resume()
  })
}
