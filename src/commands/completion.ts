/**
 * `entra-login completion bash|zsh|fish`: prints a completion script on stdout. The script is
 * static shell code generated from the commander tree when this runs (commands, subcommands,
 * each command's long flags and the global options it declared, fixed value sets), so Tab
 * never starts node and a command added to `buildProgram` is covered without more work.
 */
import { Command, Help, type Option } from 'commander'
import { CLOUD_NAMES } from '../clouds.js'
import type { StorageKind } from '../config.js'
import { usageError } from '../errors.js'
import type { Factory } from '../factory.js'
import { GRAPH_METHODS } from '../graph.js'
import { globalOptionsFor, globalOptionsOf } from '../help.js'
import { type IO, writeOut } from '../io.js'
import { SETTING_KEYS } from '../settings-keys.js'
import { bashScript, fishScript, zshScript } from './completion-scripts.js'

/** The shells there is a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const
type Shell = (typeof SHELLS)[number]

/** What a flag's value completes to: nothing (no value), free text, file names, or a fixed set. */
export type FlagValue = 'none' | 'free' | 'files' | readonly string[]

/** One long flag. */
export interface FlagSpec {
  name: string
  description: string
  value: FlagValue
}

/** One command of the tree (the root has the path ''). */
export interface CommandSpec {
  /** Its words after `entra-login`, joined by one space: '', 'login', 'secret set'. */
  path: string
  name: string
  description: string
  /** Its own long flags, `--help`, and the global options it declared; sorted. */
  flags: FlagSpec[]
  /** Sorted by name. */
  subcommands: CommandSpec[]
  /** The fixed values of its first argument (sorted), or none. */
  argValues: readonly string[]
  /** The words after its `--` are a command of their own (`exec`), completed as the shell would. */
  runsCommand: boolean
}

/** Storage kinds (`config.ts`'s StorageKind). */
const STORAGE_KINDS: readonly StorageKind[] = ['keychain', 'file']

/** Flags whose value is one of a fixed set (commander `choices()` are read as well). */
const FLAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  '--storage': STORAGE_KINDS,
  '--cloud': CLOUD_NAMES,
}

/** Flags whose value is a path. */
const FILE_FLAGS: readonly string[] = ['--certificate', '--dotenv', '--browser']

/** First arguments with a fixed set of values, by command path (commander `choices()` too). */
const ARGUMENT_VALUES: Readonly<Record<string, readonly string[]>> = {
  completion: SHELLS,
  'config get': SETTING_KEYS,
  'config set': SETTING_KEYS,
  'config unset': SETTING_KEYS,
  graph: GRAPH_METHODS,
}

/** Commands whose words after `--` are a command line of their own. */
const RUNS_COMMAND: readonly string[] = ['exec']

const WORD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const FLAG = /^--[A-Za-z0-9][A-Za-z0-9-]*$/

/** A name that goes into a script unquoted must be plain; anything else is a bug here. */
function plain(s: string, re: RegExp): string {
  if (!re.test(s)) throw new Error(`completion: ${JSON.stringify(s)} cannot be completed safely`)
  return s
}

const sorted = (xs: readonly string[]) => [...xs].sort()

function flagSpec(o: Option): FlagSpec | undefined {
  if (o.long === undefined) return undefined
  const name = plain(o.long, FLAG)
  let value: FlagValue = 'none'
  if (o.required) {
    const values = o.argChoices ?? FLAG_VALUES[name]
    if (values) value = sorted(values).map((v) => plain(v, WORD))
    else value = FILE_FLAGS.includes(name) ? 'files' : 'free'
  }
  return { name, description: o.description, value }
}

function commandSpec(cmd: Command, parentPath: string | undefined): CommandSpec {
  const help = new Help()
  const name = parentPath === undefined ? '' : plain(cmd.name(), WORD)
  const path = parentPath === undefined ? '' : parentPath === '' ? name : `${parentPath} ${name}`
  const flags = new Map<string, FlagSpec>()
  for (const o of [...help.visibleOptions(cmd), ...globalOptionsOf(cmd)]) {
    const spec = flagSpec(o)
    if (spec && !flags.has(spec.name)) flags.set(spec.name, spec)
  }
  const arg = cmd.registeredArguments[0]
  const argValues = arg?.argChoices ?? ARGUMENT_VALUES[path] ?? []
  return {
    path,
    name,
    description: cmd.description(),
    flags: [...flags.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    // The implicit `help` command is commander's own; `--help` is completed instead.
    subcommands: help
      .visibleCommands(cmd)
      .filter((c) => cmd.commands.includes(c))
      .map((c) => commandSpec(c, path))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    argValues: arg ? sorted(argValues).map((v) => plain(v, WORD)) : [],
    runsCommand: RUNS_COMMAND.includes(path),
  }
}

/** Every command of the tree, depth first from the root. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(allCommands)]
}

/**
 * Every flag that takes a value, by name. The scripts find the command words by skipping flag
 * values, so a flag must take a value everywhere or nowhere, and complete the same way.
 */
export function valuedFlags(spec: CommandSpec): Map<string, FlagValue> {
  const out = new Map<string, FlagValue>()
  const seen = new Map<string, string>()
  for (const c of allCommands(spec)) {
    for (const f of c.flags) {
      const key = JSON.stringify(f.value)
      if (seen.has(f.name) && seen.get(f.name) !== key) {
        throw new Error(`completion: ${f.name} completes differently in different commands`)
      }
      seen.set(f.name, key)
      if (f.value !== 'none') out.set(f.name, f.value)
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)))
}

/** The completion model of a program (its root command). */
export function completionSpec(program: Command): CommandSpec {
  return commandSpec(program, undefined)
}

/** What `completion` runs with. */
export interface CompletionOptions {
  io: IO
  /** The shell named on the command line (checked by the run). */
  shell: string
  /** The root command whose tree the script covers. */
  program: Command
}

const RENDER: Record<Shell, (spec: CommandSpec) => string> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
}

const INSTALL = `
Install:
  bash, in ~/.bashrc:
    source <(entra-login completion bash)
  zsh, in ~/.zshrc after compinit:
    source <(entra-login completion zsh)
  zsh, or as a file in your fpath (fpath=(~/.zfunc $fpath) before compinit):
    mkdir -p ~/.zfunc && entra-login completion zsh > ~/.zfunc/_entra_login
  fish:
    mkdir -p ~/.config/fish/completions
    entra-login completion fish > ~/.config/fish/completions/entra-login.fish
A script saved to a file stays as it was: generate it again after an upgrade.`

/** The `completion` command. */
export function newCmdCompletion(
  f: Factory,
  runF: (o: CompletionOptions) => Promise<void> = completionRun,
): Command {
  return globalOptionsFor(new Command('completion'), [])
    .description('print a shell completion script (bash, zsh or fish) on stdout')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', INSTALL)
    .action(async (shell: string, _o: unknown, cmd: Command) => {
      let program = cmd
      while (program.parent) program = program.parent
      await runF({ io: f.io, shell, program })
    })
}

/** Prints the script. */
export async function completionRun(o: CompletionOptions): Promise<void> {
  const shell = (SHELLS as readonly string[]).includes(o.shell) ? (o.shell as Shell) : undefined
  if (shell === undefined) {
    throw usageError(
      `unknown shell ${JSON.stringify(o.shell)}`,
      'use bash, zsh or fish, e.g. `source <(entra-login completion bash)`',
    )
  }
  await writeOut(o.io.stdout, RENDER[shell](completionSpec(o.program)))
}
