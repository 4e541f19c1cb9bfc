import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DeskPlugin } from './contract.js';

export interface LoadedPlugin {
  plugin: DeskPlugin;
  /** 'built-in', or the package name / absolute file path it was imported from. */
  source: string;
}

export class PluginLoadError extends Error {
  constructor(
    readonly entry: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot load plugin "${entry}" (from PLUGINS): ${problem}`, options);
    this.name = 'PluginLoadError';
  }
}

/**
 * Resolves each PLUGINS entry: a built-in name maps to the built-in; anything
 * else is imported as a package name or a file path (relative paths against
 * `cwd`, the directory the server was started from) and must export a
 * DeskPlugin as `default` or as `plugin`.
 */
export async function loadPlugins(names: string[], builtIns: Record<string, DeskPlugin>, options: { cwd?: string } = {}): Promise<LoadedPlugin[]> {
  const cwd = options.cwd ?? process.cwd();
  const loaded: LoadedPlugin[] = [];
  const seen = new Map<string, string>();
  for (const raw of names) {
    const entry = raw.trim();
    if (!entry) continue;
    const builtIn = Object.hasOwn(builtIns, entry) ? builtIns[entry] : undefined;
    const item = builtIn ? { plugin: builtIn, source: 'built-in' } : await importPlugin(entry, cwd);
    const previous = seen.get(item.plugin.name);
    if (previous !== undefined) {
      throw new PluginLoadError(entry, `its name "${item.plugin.name}" is already taken by PLUGINS entry "${previous}"`);
    }
    seen.set(item.plugin.name, entry);
    loaded.push(item);
  }
  return loaded;
}

function looksLikePath(entry: string): boolean {
  return entry.startsWith('.') || isAbsolute(entry) || /\.(m?[jt]s|cjs)$/.test(entry) || (entry.includes('\\') && !entry.startsWith('@'));
}

async function importPlugin(entry: string, cwd: string): Promise<LoadedPlugin> {
  const isPath = looksLikePath(entry);
  const source = isPath ? resolve(cwd, entry) : entry;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(isPath ? pathToFileURL(source).href : source)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail = error instanceof Error ? error.message : String(error);
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      const hint = isPath
        ? `no module at ${source}`
        : `it is not a built-in plugin and no installed package of that name was found (install it, or give a file path starting with "./")`;
      throw new PluginLoadError(entry, `${hint} (${detail})`, { cause: error });
    }
    throw new PluginLoadError(entry, `importing ${source} failed: ${detail}`, { cause: error });
  }

  const candidates = [mod.default, mod.plugin, nested(mod.default, 'default'), nested(mod.default, 'plugin')];
  const plugin = candidates.find(isDeskPlugin);
  if (!plugin) {
    const found = Object.keys(mod).join(', ') || 'nothing';
    throw new PluginLoadError(
      entry,
      `${source} exports no plugin: expected a default export or an export named "plugin" of the form definePlugin({ name, configSchema, setup }) (it exports: ${found})`,
    );
  }
  return { plugin, source };
}

function nested(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function isDeskPlugin(value: unknown): value is DeskPlugin {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  const schema = candidate.configSchema as { safeParse?: unknown } | undefined;
  return (
    typeof candidate.name === 'string' &&
    candidate.name.length > 0 &&
    typeof candidate.setup === 'function' &&
    typeof schema === 'object' &&
    schema !== null &&
    typeof schema.safeParse === 'function'
  );
}
