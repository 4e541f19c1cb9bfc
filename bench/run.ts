// `npm run bench -- <name> [args]`: runs bench/<name>.ts with its arguments.
//
//   npm run bench -- subscriptions --quick
//   npm run bench -- metrics --scale 0.1
//
// Each bench runs in its own Node process (with tsx), so its flags, exit code
// and clean-up are its own; this one forwards Ctrl-C and the exit code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES: Record<string, string> = {
  subscriptions: 'N graphql-ws subscribers, webhook → delivery latency and memory per subscriber (bench/README.md, "Subscriptions")',
  console: "the agent console: first-load JavaScript, a 1,000-conversation inbox's frame times, webhook → visible (bench/README.md, \"Agent console\")",
  metrics: 'the support-metrics query over 100,000 conversations and 1,000,000 messages (bench/README.md, "Metrics")',
  'durable-startup': 'start-up time and memory of the durable embedded store with 1,000,000 messages (bench/README.md, "Durable store")',
  'store-update': "one stored update in the embedded engine: mingo's updater vs the direct path for plain $set/$unset/$inc (bench/README.md, \"Store updates\")",
  'webhook-ingest': 'signed webhooks per second, ack latency and server CPU per webhook: DATA_DIR=memory vs on disk vs bare Fastify, and with history already stored (bench/README.md, "Webhook ingest")',
};

const [name, ...args] = process.argv.slice(2);
if (!name || !(name in BENCHES)) {
  console.error(`usage: npm run bench -- <name> [args]\n${Object.entries(BENCHES).map(([n, what]) => `  ${n.padEnd(14)} ${what}`).join('\n')}`);
  process.exit(name ? 2 : 0);
}
const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
if (!existsSync(file)) {
  console.error(`bench/${name}.ts does not exist`);
  process.exit(2);
}

const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
