/**
 * The setting names users type: `config get|set|unset <key>` and their shell completion.
 * Each matches a global flag without its dashes (`--client-id` → `client-id`).
 */
export const SETTING_KEYS = [
  'tenant',
  'client-id',
  'certificate',
  'cloud',
  'authority',
  'graph-url',
  'port',
  'browser',
  'timeout',
  'storage',
  'account',
] as const

/** One of {@link SETTING_KEYS}. */
export type SettingKey = (typeof SETTING_KEYS)[number]
