/**
 * `entra-login config set|get|unset|list`: the remembered settings in the config file.
 * Keys are the long flag names ({@link SETTING_KEYS}); a value is validated exactly as the
 * flag would be, and a bad one writes nothing (exit 2). The file is written atomically, 0600.
 * The client secret is never a key: `list` only says where it would come from.
 */
import { Command } from 'commander'
import { checkKeyFileMode, pemParts, readCertificateFile } from '../auth/certificate.js'
import { CLOUDS, type CloudName } from '../clouds.js'
import {
  type ConfigFile,
  type Effective,
  effectiveSettings,
  type Gathered,
  SETTING_KEYS,
  type SettingKey,
  settingsFrom,
  validateSetting,
  writeConfigFile,
} from '../config.js'
import { usageError } from '../errors.js'
import type { Factory, SecretSourceKind } from '../factory.js'
import { GLOBAL_OPTION_NAMES, globalOptionsFor } from '../help.js'
import { type IO, sanitize, say, toJson, writeOut } from '../io.js'
import { noSuchProfile } from '../profiles.js'

/** What the `config` subcommands run with. */
export interface ConfigOptions {
  io: IO
  env: Readonly<Record<string, string | undefined>>
  /** The settings as found in every source (reads the config file). */
  gathered: () => Gathered
  /** Where the client secret would come from, never its value. */
  secretSource: () => Promise<SecretSourceKind>
  json: boolean
}

function configOptions(f: Factory, json = false): ConfigOptions {
  return { io: f.io, env: f.rt.env, gathered: f.gathered, secretSource: () => f.secretSource(), json }
}

/** The key named on the command line, or a usage error listing the keys. */
function settingKey(name: string): SettingKey {
  if ((SETTING_KEYS as readonly string[]).includes(name)) return name as SettingKey
  if (/secret/i.test(name)) {
    throw usageError(
      'the client secret is never kept in the config file',
      'store it in the OS keychain with `entra-login secret set`, or set ENTRA_CLIENT_SECRET',
    )
  }
  if (/pass(word|phrase)/i.test(name)) {
    throw usageError(
      "the certificate's passphrase is never kept in the config file",
      'set ENTRA_CERTIFICATE_PASSWORD, or run on a terminal to be asked for it',
    )
  }
  throw usageError(`unknown key ${JSON.stringify(name)}`, `keys: ${SETTING_KEYS.join(', ')}`)
}

/** The `config` command group. */
export function newCmdConfig(f: Factory): Command {
  // `list` and `get` show what every global option would give.
  const config = globalOptionsFor(new Command('config'), GLOBAL_OPTION_NAMES).description(
    'show and change the remembered settings (the config file)',
  )
  config
    .command('set')
    .description('remember a setting (validated like its flag)')
    .argument('<key>', SETTING_KEYS.join(', '))
    .argument('<value>', 'the value, as you would give the flag')
    .addHelpText(
      'after',
      '\nExamples:\n  entra-login config set tenant contoso.onmicrosoft.com\n  entra-login config set port 0\n  entra-login config set certificate ~/.config/entra-login/app.pem',
    )
    .action(async (key: string, value: string) => configSetRun(configOptions(f), key, value))
  config
    .command('get')
    .description('print the value a command would use (bare, on stdout)')
    .argument('<key>', SETTING_KEYS.join(', '))
    .action(async (key: string) => configGetRun(configOptions(f), key))
  config
    .command('unset')
    .description('forget a remembered setting')
    .argument('<key>', SETTING_KEYS.join(', '))
    .action(async (key: string) => configUnsetRun(configOptions(f), key))
  config
    .command('list')
    .description("every setting's value and its source: flag, dotenv, env, config or default")
    .option('--json', 'print {"<key>": {"value", "source"}, …} on stdout')
    .action(async (o: { json?: boolean }) => configListRun(configOptions(f, o.json === true)))
  return config
}

/**
 * The tenant and the authority of a config file must agree, as they would from one source:
 * a file that `config set` would leave contradicting itself is refused before it is written.
 */
function checkConsistent(g: Gathered, next: ConfigFile): void {
  const found: Gathered['found'] = {}
  for (const key of ['tenant', 'authority'] as const) {
    const v = next[key]
    if (v !== undefined)
      found[key] = { value: String(v), kind: 'config', origin: `"${key}" in ${g.configFile}` }
  }
  if (found.tenant === undefined || found.authority === undefined) return
  const e = effectiveSettings({ ...g, found, noBrowser: false })
  const err = e.authority.error ?? e.tenant.error
  if (err) {
    throw usageError(
      `${err.message}`,
      `set the authority with the same tenant (\`entra-login config set authority https://<host>/${String(next.tenant)}\`), or \`entra-login config unset authority\``,
    )
  }
}

/** The higher-ranking source that overrides the config file for `key` in this shell, if any. */
function overriddenBy(g: Gathered, key: SettingKey): string | undefined {
  const f = g.found[key]
  return f !== undefined && f.kind !== 'config' ? f.origin : undefined
}

/** `config set <key> <value>`. */
export async function configSetRun(o: ConfigOptions, name: string, value: string): Promise<void> {
  const key = settingKey(name)
  const normalised = validateSetting(key, value, `config set ${key}`)
  if (key === 'certificate') {
    // The file must be there and look right now (its key is decrypted and checked when it is used).
    const path = String(normalised)
    const { data, mode } = readCertificateFile(path, 'config set certificate')
    pemParts(data.toString('utf8'), path)
    checkKeyFileMode(path, mode)
  }
  const g = o.gathered()
  const next: ConfigFile = { ...g.file, [key]: normalised }
  checkConsistent(g, next)
  await writeConfigFile(g.configFile, next)
  const created = g.profile.exists ? '' : ` (a new profile, "${g.profile.name}")`
  say(o.io, `Set ${key} to ${sanitize(String(normalised), 300)} in ${g.configFile}${created}`)
  const over = overriddenBy(g, key)
  if (over) say(o.io, o.io.color.yellow(`note: ${over} overrides it here`))
  if (key === 'cloud')
    for (const line of cloudNotes(next, normalised as CloudName)) say(o.io, o.io.color.yellow(line))
}

/**
 * A remembered authority or Graph URL of another cloud wins over a remembered cloud (the same
 * rank: the explicit value wins), so `config set cloud` says so and how to let the cloud decide.
 */
function cloudNotes(file: ConfigFile, cloud: CloudName): string[] {
  const notes: string[] = []
  const authority = file.authority
  const host = typeof authority === 'string' && URL.canParse(authority) ? new URL(authority).host : undefined
  if (typeof authority === 'string' && host !== CLOUDS[cloud].authorityHost) {
    notes.push(
      `note: the remembered authority ${sanitize(authority, 300)} still decides the authority; \`entra-login config unset authority\` to use the cloud's`,
    )
  }
  const graph = file['graph-url']
  if (typeof graph === 'string' && graph !== CLOUDS[cloud].graph) {
    notes.push(
      `note: the remembered graph-url ${sanitize(graph, 300)} still decides Graph; \`entra-login config unset graph-url\` to use the cloud's`,
    )
  }
  return notes
}

/** The settings gathered, for a profile that exists (only `config set` creates one). */
function existing(o: ConfigOptions): Gathered {
  const g = o.gathered()
  if (!g.profile.exists) throw noSuchProfile(g.profile)
  return g
}

/** `config unset <key>`. */
export async function configUnsetRun(o: ConfigOptions, name: string): Promise<void> {
  const key = settingKey(name)
  const g = existing(o)
  if (g.file[key] === undefined) {
    say(o.io, `${key} is not set in ${g.configFile}`)
    return
  }
  const next: ConfigFile = { ...g.file }
  delete next[key]
  await writeConfigFile(g.configFile, next)
  say(o.io, `Unset ${key} in ${g.configFile}`)
}

/** `config get <key>`: the effective value, bare. */
export async function configGetRun(o: ConfigOptions, name: string): Promise<void> {
  const key = settingKey(name)
  const e = effectiveSettings(existing(o))[key]
  if (e.error) throw e.error
  if (e.value === null || e.value === false) {
    throw usageError(`${key} is not set`, `set it with \`entra-login config set ${key} <value>\``)
  }
  await writeOut(o.io.stdout, `${e.value}\n`)
}

function shown(e: Effective): string {
  if (e.value === null) return '-'
  if (e.value === false) return 'none (--no-browser)'
  return sanitize(String(e.value), 300)
}

/** `config list [--json]`: every key's effective value and source, and where the secret comes from. */
export async function configListRun(o: ConfigOptions): Promise<void> {
  const g = existing(o)
  const all = effectiveSettings(g)
  for (const key of SETTING_KEYS) {
    const err = all[key].error
    if (err) say(o.io, o.io.color.yellow(`warning: ${key}: ${sanitize(err.message, 300)}`))
  }
  const secret = await o.secretSource()
  if (o.json) {
    const out: Record<string, { value?: string | number | false | null; source: string }> = {}
    for (const key of SETTING_KEYS) out[key] = { value: all[key].value, source: all[key].source }
    out['client-secret'] = { source: secret }
    await writeOut(o.io.stdout, toJson(out))
    return
  }
  const rows: [string, string, string][] = SETTING_KEYS.map((key) => [key, shown(all[key]), all[key].source])
  rows.push(['client-secret', '(never shown)', secret])
  const w0 = Math.max(...rows.map((r) => r[0].length))
  const w1 = Math.max(...rows.map((r) => r[1].length))
  const text = rows.map(([k, v, s]) => `${k.padEnd(w0)}  ${v.padEnd(w1)}  ${s}`).join('\n')
  await writeOut(o.io.stdout, `${text}\n`)
  // A quick word about whether commands can run with these settings.
  try {
    settingsFrom(g, o.env)
  } catch (err) {
    say(o.io, o.io.color.dim(`note: ${sanitize((err as Error).message, 300)}`))
  }
}
