/**
 * What some tests need from the machine, and the one place that decides what happens when it is
 * missing. Use it as a visible skip:
 *
 * ```ts
 * it.skipIf(needs('script'))('…', async () => { … })
 * describe.skipIf(needs('secret-service'))('…', () => { … })
 * ```
 *
 * On a dev machine without the capability the test is reported as skipped. In CI (`CI=true`), where
 * `scripts/with-test-env.sh` provides everything, a missing capability throws instead, so the run
 * fails rather than passing with fewer tests.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { delimiter, join } from 'node:path'

/** The headless Chromium the browser test drives (Debian's, or `CHROMIUM_BIN`). */
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'

/** Everything a test may need that a dev machine might lack. */
export type Capability =
  | 'ipv6-loopback'
  | 'lan-ipv4'
  | 'script'
  | 'tmux'
  | 'zsh'
  | 'fish'
  | 'curl'
  | 'chromium'
  | 'secret-service'
  | 'root'
  | 'unshare-net'
  | 'mount-tmpfs'
  | 'netns-without-ipv6'
  | 'gnu-time'
  | 'mount-readonly-bind'
  | 'mount-bind-proc-version'
  | 'procfs'

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 5_000 })
    return true
  } catch {
    return false
  }
}

function interfaceAddress(internal: boolean, family: 'IPv4' | 'IPv6', address?: string): boolean {
  return Object.values(networkInterfaces())
    .flat()
    .some(
      (a) =>
        a?.internal === internal && a.family === family && (address === undefined || a.address === address),
    )
}

const PROBES: Record<Capability, { what: string; probe: () => boolean }> = {
  'ipv6-loopback': {
    what: 'an IPv6 loopback address (::1)',
    probe: () => interfaceAddress(true, 'IPv6', '::1'),
  },
  'lan-ipv4': {
    what: 'a non-loopback IPv4 address on some interface',
    probe: () => interfaceAddress(false, 'IPv4'),
  },
  script: {
    what: '`script` (util-linux), for a pseudo-terminal',
    probe: () => onPath('script'),
  },
  tmux: {
    what: '`tmux`, for a terminal whose rendered screen a test can read',
    probe: () => onPath('tmux'),
  },
  zsh: {
    what: '`zsh`, to load the zsh completion script in the real shell',
    probe: () => onPath('zsh'),
  },
  fish: {
    what: '`fish`, to load the fish completion script in the real shell',
    probe: () => onPath('fish'),
  },
  curl: {
    what: '`curl`, to run the README example of `exec`',
    probe: () => onPath('curl'),
  },
  chromium: {
    what: `Chromium at ${CHROMIUM} (set CHROMIUM_BIN to use another)`,
    probe: () => existsSync(CHROMIUM),
  },
  'secret-service': {
    what: 'a D-Bus session with a running Secret Service and secret-tool, dbus-send, dbus-run-session, gnome-keyring-daemon (scripts/with-test-env.sh)',
    probe: () =>
      Boolean(process.env.DBUS_SESSION_BUS_ADDRESS) &&
      ['secret-tool', 'dbus-send', 'dbus-run-session', 'gnome-keyring-daemon'].every(onPath) &&
      /boolean true/.test(
        spawnSync(
          'dbus-send',
          [
            '--session',
            '--print-reply',
            '--dest=org.freedesktop.DBus',
            '/org/freedesktop/DBus',
            'org.freedesktop.DBus.NameHasOwner',
            'string:org.freedesktop.secrets',
          ],
          { encoding: 'utf8', timeout: 5_000 },
        ).stdout ?? '',
      ),
  },
  root: {
    what: 'root privileges',
    probe: () => process.getuid?.() === 0,
  },
  'unshare-net': {
    what: 'creating a network namespace (`unshare -n`)',
    probe: () => succeeds('unshare', ['-n', 'true']),
  },
  'mount-tmpfs': {
    what: 'mounting a tmpfs in a private mount namespace (`unshare -m` + `mount`)',
    probe: () =>
      succeeds('unshare', [
        '-m',
        'sh',
        '-c',
        'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d"; s=$?; umount "$d"; rmdir "$d"; exit $s',
      ]),
  },
  'netns-without-ipv6': {
    what: 'a network namespace whose loopback has IPv4 only (`unshare -n`, `ip`, /proc/sys/net/ipv6)',
    probe: () =>
      succeeds('unshare', [
        '-n',
        'sh',
        '-c',
        'ip link set lo up && echo 1 > /proc/sys/net/ipv6/conf/lo/disable_ipv6',
      ]),
  },
  'mount-readonly-bind': {
    what: 'a read-only bind mount in a private mount namespace (`unshare -m` + `mount --bind -o ro`)',
    probe: () =>
      succeeds('unshare', [
        '-m',
        'sh',
        '-c',
        'd=$(mktemp -d) && mount --bind -o ro "$d" "$d" && ! touch "$d/x" 2>/dev/null; s=$?; umount "$d"; rmdir "$d"; exit $s',
      ]),
  },
  'mount-bind-proc-version': {
    what: 'bind-mounting a file over /proc/version in a private mount namespace (`unshare -m` + `mount --bind`)',
    probe: () =>
      succeeds('unshare', [
        '-m',
        'sh',
        '-c',
        'f=$(mktemp) && mount --bind "$f" /proc/version; s=$?; rm -f "$f"; exit $s',
      ]),
  },
  'gnu-time': {
    what: 'GNU time at /usr/bin/time (Debian package "time"), for the peak RSS of a child',
    probe: () => existsSync('/usr/bin/time'),
  },
  procfs: {
    what: 'Linux /proc (process start times)',
    probe: () => existsSync(`/proc/${process.pid}/stat`),
  },
}

const known = new Map<Capability, boolean>()

/** Whether this machine has `capability` (probed once per test file). */
export function has(capability: Capability): boolean {
  let yes = known.get(capability)
  if (yes === undefined) {
    yes = PROBES[capability].probe()
    known.set(capability, yes)
  }
  return yes
}

/**
 * For `it.skipIf(needs(…))` / `describe.skipIf(needs(…))`: false when every capability is there;
 * true (skip) when one is missing on a dev machine; throws when one is missing in CI (`CI=true`).
 */
export function needs(...capabilities: Capability[]): boolean {
  const missing = capabilities.filter((c) => !has(c))
  if (missing.length === 0) return false
  const what = missing.map((c) => `${c}: ${PROBES[c].what}`).join('; ')
  if (process.env.CI === 'true') throw new Error(`CI must provide what these tests need, but lacks ${what}`)
  return true
}
