/** Small helpers the command files share for their flags. */

/** Commander reducer for a repeatable option (`--scope a --scope b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
