/**
 * Where the browser is: whether `login` may start one, and which. Pure: everything it looks at
 * (environment, OS, a few marker files) is passed in, so every case is a row in a table test.
 *
 * - A browser named explicitly (`--browser`, ENTRA_BROWSER, BROWSER, the config file) is always
 *   started: the user asked for it (it may be a text browser, or a script that forwards the page).
 * - Otherwise the system browser, only where the session can show one:
 *   - macOS and Windows: always, unless this is an SSH session (it would open on the remote desktop);
 *   - WSL (WSL_DISTRO_NAME or WSL_INTEROP set, or /proc/version naming Microsoft outside a
 *     container): the Windows browser, unless over SSH;
 *   - Linux, the BSDs and the rest: when DISPLAY or WAYLAND_DISPLAY is set.
 * - Everything else is headless, with the reason: an SSH session without a display, a container
 *   (/.dockerenv, /run/.containerenv) without a display, or no display at all.
 */

type Env = Readonly<Record<string, string | undefined>>

/** The machine as `login` sees it (a runtime seam: tests fake it). */
export interface Host {
  platform: NodeJS.Platform
  /** Whether a file exists (a marker such as /.dockerenv). */
  exists(path: string): boolean
  /** A small text file's content (/proc/version), undefined when it cannot be read. */
  readText(path: string): string | undefined
  /** This machine's name (os.hostname()). */
  hostname(): string
  /** The login name of the user running us (os.userInfo()), undefined when unknown. */
  userName(): string | undefined
}

/** The files whose presence says "this is a container": Docker's and Podman's. */
export const CONTAINER_MARKERS = ['/.dockerenv', '/run/.containerenv']

/**
 * Test-only: a `:`-separated list of paths used instead of {@link CONTAINER_MARKERS}. The test
 * machine may itself be a container (CI's is: /.dockerenv exists), and no mount namespace can
 * hide a file, so the black-box tests point this at a file of their own, or at nothing.
 */
export const TEST_CONTAINER_MARKER_ENV = 'ENTRA_LOGIN_TEST_CONTAINER_MARKER'

/** What the session offers. */
export interface Session {
  /** SSH_CONNECTION, SSH_CLIENT or SSH_TTY is set. */
  ssh: boolean
  /** DISPLAY or WAYLAND_DISPLAY is set. */
  display: boolean
  /** A container marker file exists. */
  container: boolean
  /** Windows Subsystem for Linux. */
  wsl: boolean
}

/** Why no browser is started. */
export type HeadlessReason = 'ssh' | 'container' | 'no-display'

/** What `login` does about the browser. */
export type BrowserDecision =
  | { kind: 'explicit'; program: string; session: Session }
  | { kind: 'system'; wsl: boolean; session: Session }
  | { kind: 'headless'; reason: HeadlessReason; session: Session }
  | { kind: 'off'; session: Session }

const set = (v: string | undefined): boolean => v !== undefined && v !== ''

/** What the session offers, from the environment and the machine. */
export function session(env: Env, host: Pick<Host, 'platform' | 'exists' | 'readText'>): Session {
  const ssh = set(env.SSH_CONNECTION) || set(env.SSH_CLIENT) || set(env.SSH_TTY)
  const display = set(env.DISPLAY) || set(env.WAYLAND_DISPLAY)
  const testMarkers = env[TEST_CONTAINER_MARKER_ENV]
  const markers = testMarkers !== undefined ? testMarkers.split(':').filter(Boolean) : CONTAINER_MARKERS
  const container = host.platform === 'linux' && markers.some((m) => host.exists(m))
  // WSL sets these for every process it starts; a Docker Desktop container runs on the WSL kernel
  // (its /proc/version names Microsoft) but cannot reach Windows, like is-wsl decides.
  const wsl =
    host.platform === 'linux' &&
    (set(env.WSL_DISTRO_NAME) ||
      set(env.WSL_INTEROP) ||
      (!container && /microsoft/i.test(host.readText('/proc/version') ?? '')))
  return { ssh, display, container, wsl }
}

/**
 * Whether and which browser to start. `program` is the explicit one (undefined: none named),
 * `noBrowser` is `--no-browser`.
 */
export function browserDecision(
  o: { program: string | undefined; noBrowser: boolean },
  env: Env,
  host: Pick<Host, 'platform' | 'exists' | 'readText'>,
): BrowserDecision {
  const s = session(env, host)
  if (o.noBrowser) return { kind: 'off', session: s }
  if (o.program !== undefined) return { kind: 'explicit', program: o.program, session: s }
  if (host.platform === 'darwin' || host.platform === 'win32') {
    return s.ssh
      ? { kind: 'headless', reason: 'ssh', session: s }
      : { kind: 'system', wsl: false, session: s }
  }
  if (s.wsl && !s.ssh) return { kind: 'system', wsl: true, session: s }
  if (s.display) return { kind: 'system', wsl: false, session: s }
  const reason: HeadlessReason = s.ssh ? 'ssh' : s.container ? 'container' : 'no-display'
  return { kind: 'headless', reason, session: s }
}

/** The one line saying why no browser is started. */
export function headlessLine(reason: HeadlessReason, platform: NodeJS.Platform): string {
  const why =
    reason === 'ssh'
      ? platform === 'darwin' || platform === 'win32'
        ? 'this is an SSH session'
        : 'this is an SSH session without a display'
      : reason === 'container'
        ? 'this is a container without a display'
        : 'there is no display (DISPLAY and WAYLAND_DISPLAY are not set)'
  return `No browser: ${why}.`
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; anything but a plain IPv4 or IPv6 address → undefined. */
function plainAddress(text: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text)?.[1]
  const address = mapped ?? text
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return address
  // IPv6 without a zone (a link-local zone such as %eth0 names this machine's interface).
  if (/^[0-9a-f:]+$/i.test(address) && address.includes(':')) return address
  return undefined
}

/**
 * The command that forwards the listener's port from the user's own computer:
 * `ssh -L <port>:localhost:<port> [-p <ssh port>] <user>@<this host>`.
 *
 * The host is the server address of SSH_CONNECTION (`client port server port`): the address the
 * user's ssh client actually reached, so it works from there without DNS, where this machine's
 * own name (often `ip-10-0-0-5` or a container id) frequently does not resolve. Its port is added
 * when it is not 22. Without SSH_CONNECTION (only SSH_CLIENT/SSH_TTY, which hold no server
 * address), or with an address that is not plain, the host name. Behind NAT or a jump host neither
 * is right and the user puts in the name they ssh to (the README says so).
 * The user: USER, then LOGNAME, then the account's name.
 */
export function sshForwardCommand(port: number, env: Env, host: Pick<Host, 'hostname' | 'userName'>): string {
  const user = (set(env.USER) ? env.USER : set(env.LOGNAME) ? env.LOGNAME : host.userName()) ?? 'you'
  const [, , serverAddress, serverPort] = (env.SSH_CONNECTION ?? '').trim().split(/\s+/)
  const address = serverAddress === undefined ? undefined : plainAddress(serverAddress)
  const target = address ?? host.hostname()
  const sshPort =
    address !== undefined && serverPort !== undefined && serverPort !== '22' ? serverPort : undefined
  return `ssh -L ${port}:localhost:${port}${sshPort && /^\d+$/.test(sshPort) ? ` -p ${sshPort}` : ''} ${user}@${target}`
}
