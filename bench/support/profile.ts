// Reads a V8 .cpuprofile (what node:inspector's Profiler.stop returns) and
// says where the time went: self time by function and by area (a package in
// node_modules, our src/, Node's internals, V8's (garbage collector) and
// (program)), and inclusive time for the functions that matter most.
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time V8 spent idle (the event loop waiting): not CPU. */
  idleMs: number;
  /** Busy time by the layer of the subscription path it was spent in (see LAYERS). */
  byLayer: ProfileEntry[];
  byArea: ProfileEntry[];
  selfByFunction: ProfileEntry[];
  /** Time with the function anywhere on the stack (each sample counted once per function). */
  inclusiveByFunction: ProfileEntry[];
}

/** Where a script lives, in a few words: "graphql", "graphql-ws", "src/graphql", "node:internal", "(garbage collector)". */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal.*/, 'node:internal');
  const src = url.search(/\/(src|bench|plugins|test)\//);
  if (src >= 0) return url.slice(src + 1).split('/').slice(0, 2).join('/');
  return url;
}

/**
 * The layers a live update crosses, each recognised by its frames. A sample
 * belongs to the layer of the frame nearest its leaf that matches one, so a
 * socket write made from graphql-ws's send counts as the write, not as
 * graphql-ws. The garbage collector has no stack: it is its own layer.
 */
const LAYERS: Array<[string, (frame: CallFrame) => boolean]> = [
  ['socket write (kernel + ws framing)', (f) => /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(f.functionName) || /\/ws\/lib\/(sender|buffer-util)/.test(f.url) || /^node:(net|internal\/stream_base_commons|internal\/streams)/.test(f.url)],
  ['JSON serialization', (f) => f.functionName === 'stringify' || f.functionName === 'stringifyMessage'],
  ['graphql-ws per-subscriber loop', (f) => /\/graphql-ws\//.test(f.url)],
  ['GraphQL execution (executor, envelop, pothos, resolvers)', (f) => /\/node_modules\/(@graphql-tools|@envelop|@pothos|graphql|graphql-yoga|@graphql-yoga\/(?!subscription)[^/]+|@whatwg-node\/promise-helpers|@escape\.tech)\//.test(f.url) || /\/src\/graphql\/(schema\/(message|agent|conversation)|builder)/.test(f.url)],
  ['subscription hub: dispatch, per-subscriber accepts, frames', (f) => /\/src\/(graphql\/subscriptionHub|http\/graphqlWs)/.test(f.url)],
  ['event bus and per-subscriber filter', (f) => /\/node_modules\/(@repeaterjs|@graphql-yoga\/subscription)\//.test(f.url) || /\/src\/(events\/|graphql\/schema\/events)/.test(f.url)],
  ['webhook, workflow and store', (f) => /\/node_modules\/(fastify|@fastify\/[^/]+|find-my-way|mingo|pino|sonic-boom|zod|undici)\//.test(f.url) || /\/src\/(store|workflow|whatsapp|jobs|http|app|metrics)/.test(f.url) || /^node:_http/.test(f.url)],
];

function layerOf(stack: CallFrame[]): string {
  const leaf = stack[0]!;
  if (leaf.functionName === '(garbage collector)') return '(garbage collector)';
  for (const frame of stack) for (const [name, matches] of LAYERS) if (matches(frame)) return name;
  return leaf.functionName === '(program)' ? '(program: V8 and Node outside JS)' : 'other (microtask plumbing, timers, …)';
}

function label(frame: CallFrame): string {
  const file = frame.url ? frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|plugins|test)\//, '$1/') : '';
  return `${frame.functionName || '(anonymous)'}${file ? ` ${file}:${frame.lineNumber + 1}` : ''}`;
}

function top(map: Map<string, number>, totalMs: number, limit: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, micros]) => ({ name, ms: Math.round(micros / 100) / 10, percent: Math.round((micros / 1000 / totalMs) * 1000) / 10 }));
}

export function summarizeProfile(profile: CpuProfile, limit = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfArea = new Map<string, number>();
  const layers = new Map<string, number>();
  const selfFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    total += micros;
    if (node.callFrame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const area = areaOf(node.callFrame);
    selfArea.set(area, (selfArea.get(area) ?? 0) + micros);
    const name = label(node.callFrame);
    selfFunction.set(name, (selfFunction.get(name) ?? 0) + micros);
    const seen = new Set<string>();
    const stack: CallFrame[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      stack.push(frame);
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
    const layer = layerOf(stack);
    layers.set(layer, (layers.get(layer) ?? 0) + micros);
  }
  const busyMs = (total - idle) / 1000;
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byLayer: top(layers, busyMs, LAYERS.length + 3),
    byArea: top(selfArea, busyMs, limit),
    selfByFunction: top(selfFunction, busyMs, limit),
    inclusiveByFunction: top(inclusive, busyMs, limit),
  };
}

export async function summarizeProfileFile(path: string, limit?: number): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, limit);
}

// `npx tsx bench/support/profile.ts file.cpuprofile [limit]` prints the summary of a saved profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, limit] = process.argv.slice(2);
  if (!path) {
    console.error('usage: npx tsx bench/support/profile.ts <file.cpuprofile> [limit]');
    process.exit(2);
  }
  console.log(JSON.stringify(await summarizeProfileFile(path, limit ? Number(limit) : undefined), null, 2));
}
