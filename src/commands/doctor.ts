/**
 * `entra-login doctor [--json]`: the command, its flags and help. The checks live in
 * `doctor-run.ts`, imported when `doctor` runs (code splitting); tests may pass their own `runF`.
 */
import { Command } from 'commander'
import type { Factory } from '../factory.js'
import { GLOBAL_OPTION_NAMES, globalOptionsFor } from '../help.js'
import { proxyFor, proxySettings } from '../proxy.js'
import { probeKeychain } from '../storage/keychain.js'
import { readPrivateFile } from '../storage/private.js'
import type { DoctorOptions } from './doctor-run.js'

/** The `doctor` command. */
export function newCmdDoctor(f: Factory, runF?: (o: DoctorOptions) => Promise<void>): Command {
  // Every global option but --account changes what doctor checks.
  return globalOptionsFor(
    new Command('doctor'),
    GLOBAL_OPTION_NAMES.filter((n) => n !== '--account'),
  )
    .description(
      'check settings, secret, storage, port, authority, app registration and clock; sign in nothing',
    )
    .option('--json', 'print {"checks": [{name, ok, detail, fix}], "redirectUri", "exitCode"} on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 all checks hold; else that of the first failing check: 2 settings, client secret or certificate, 4 app registration refused, 5 network or port taken, 6 storage.\n\nExamples:\n  entra-login doctor\n  entra-login doctor --port 5002 --json',
    )
    .action(async (o: { json?: boolean }) => {
      const run = await import('./doctor-run.js')
      await (runF ?? run.doctorRun)({
        io: f.io,
        json: o.json === true,
        now: f.rt.now,
        signal: f.rt.signal,
        randomBytes: f.rt.randomBytes,
        gathered: f.gathered,
        settings: f.settings,
        secretSource: () => f.secretSource(),
        certificate: f.certificate,
        probeKeychain: async () => probeKeychain(await f.keychain(), f.rt.env, f.rt.randomBytes),
        checkHome: run.checkHome,
        checkPlainCache: (path) => {
          readPrivateFile(path, { secret: true })
        },
        probePort: run.probePort,
        http: f.http,
        fetch: f.rt.fetch,
        debug: f.debug(),
        redact: (text) => f.redactor.redact(text),
        proxyFor: (url) => proxyFor(url, proxySettings(f.rt.env)),
      })
    })
}
