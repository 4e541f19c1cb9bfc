// The desk as its own process, started the way `npm start` starts it (minus
// the compile step: `node --import tsx src/main.ts`), for tests that kill it,
// restart it, or run two. Only PATH and HOME come from this environment; the
// rest is what the test passes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface DeskProcess {
  child: ChildProcessWithoutNullStreams;
  /** http://127.0.0.1:<port> */
  url: string;
  webhookUrl: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGKILL: no clean-up of any kind, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit code (SIGKILL after graceMs). */
  stop(graceMs?: number): Promise<number | null>;
}

/** What `npm start` gives node (package.json's start script): the compiled entry and the Node flags production runs with. */
function npmStartArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script does not run node: ${scripts.start}`);
  return args;
}

/** Starts the desk and resolves once it prints its GraphQL URL; rejects with its output if it exits or takes longer than readyTimeoutMs. */
export async function startDeskProcess(env: Record<string, string>, options: { readyTimeoutMs?: number; entry?: string; nodeArgs?: string[]; compiled?: boolean } = {}): Promise<DeskProcess> {
  // `entry` (relative to the repository) lets a bench start a stand-in server that prints the same ready line;
  // `nodeArgs` lets it profile the server (`--cpu-prof`); `compiled` runs the build's dist/src/main.js as `npm start` does.
  const entry = options.compiled ? npmStartArguments() : ['--import', 'tsx', options.entry ?? 'src/main.ts'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  // Generous: on a busy shared machine compiling the desk under tsx alone has taken 25 s.
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  let url: string | null = null;
  while (!url) {
    const match = output.match(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    if (match) url = match[1]!;
    else if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the desk did not start:\n${output}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    webhookUrl: `${url}/webhooks/whatsapp`,
    output: () => output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const code = await exited;
        clearTimeout(killer);
        return code;
      }
      return exited;
    },
  };
}
