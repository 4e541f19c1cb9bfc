// Each plugin's settings, checked before any plugin starts so that a bad one
// stops start-up with nothing half set up. A plugin sees only the settings its
// configSchema names, never the rest of the environment (the desk's own
// secrets among them).
import { ConfigError } from '../config.js';
import type { DeskPlugin } from './contract.js';

/** Plugin names become URL segments, queue names and job ids (BullMQ forbids ':' in both). */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** A plugin setting failed its schema. Extends ConfigError so start-up reports it like any other bad setting. */
export class PluginConfigError extends ConfigError {
  constructor(
    readonly plugin: string,
    setting: string,
    problem: string,
  ) {
    super(setting, `${problem} (plugin ${plugin})`);
    this.name = 'PluginConfigError';
  }
}

/** The parts of a zod schema that say which keys it reads; by shape, so a plugin's own copy of zod works too. */
interface SchemaShape {
  shape?: unknown;
  def?: { in?: unknown; innerType?: unknown; schema?: unknown };
}

/**
 * The settings a plugin's configSchema names: the keys of its z.object, also
 * through a transform or pipe (`z.object(...).transform(...)`). A schema with
 * no such shape names none, and its plugin gets an empty environment.
 */
export function settingNames(schema: unknown): string[] {
  const seen = new Set<unknown>();
  let current: unknown = schema;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const candidate: SchemaShape = current;
    if (typeof candidate.shape === 'object' && candidate.shape !== null) return Object.keys(candidate.shape);
    current = candidate.def?.in ?? candidate.def?.innerType ?? candidate.def?.schema;
  }
  return [];
}

/** Only the environment entries the plugin's schema names. */
export function ownSettings(schema: unknown, env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  return Object.fromEntries(settingNames(schema).filter((name) => Object.hasOwn(env, name)).map((name) => [name, env[name]]));
}

export function validatePluginSettings(
  plugins: readonly DeskPlugin[],
  env: Readonly<Record<string, string | undefined>>,
): Array<{ plugin: DeskPlugin; config: unknown }> {
  const seen = new Set<string>();
  return plugins.map((plugin) => {
    if (!PLUGIN_NAME.test(plugin.name)) {
      throw new Error(`Plugin name "${plugin.name}" is not allowed: use lower-case letters, digits, "-" and "_"`);
    }
    if (seen.has(plugin.name)) throw new Error(`Plugin "${plugin.name}" is enabled twice`);
    seen.add(plugin.name);
    const own = ownSettings(plugin.configSchema, env);
    const parsed = plugin.configSchema.safeParse(own);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const setting = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'settings';
      const topLevel = issue?.path[0];
      const unset = typeof topLevel === 'string' && (own[topLevel] === undefined || own[topLevel]?.trim() === '');
      // The value itself is left out: plugin settings are mostly secrets.
      const problem = unset && issue?.code === 'invalid_type' ? 'required but not set' : (issue?.message ?? 'invalid');
      throw new PluginConfigError(plugin.name, setting, problem);
    }
    return { plugin, config: parsed.data };
  });
}
