// The real process: start-up on zero settings, one clear line for a bad
// setting, a graceful SIGTERM, data kept across a restart, one process per
// data directory. Each case spawns `src/main.ts` in a fresh working directory
// of its own (so the default DATA_DIR, ./data, lands there).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'desk-startup-'));
  dirs.push(dir);
  return dir;
}

/** Only what any shell has: no desk settings at all. */
function bareEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

function start(env: NodeJS.ProcessEnv, cwd = freshDir()) {
  const child = spawn(process.execPath, ['--import', tsx, main], { cwd, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Start-up compiles src/ with tsx: seconds, but 25 s was seen on the shared 2-core machine under load.
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = (stdout + stderr).match(pattern);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in output:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
}

async function graphql(url: string, token: string, query: string): Promise<unknown> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

afterAll(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Each case starts real processes that compile src/ with tsx: room for a loaded machine.
describe('start-up', { timeout: 150_000 }, () => {
  it.concurrent.each([
    ['PORT', 'abc'],
    ['MONGODB_URI', 'not-a-uri'],
    ['ASSIGNMENT_POLICY', 'random'],
    ['BUSINESS_HOURS', 'someday 9-5'],
  ])('a bad %s exits 1 with one line naming it', async (setting, value) => {
    const run = start(bareEnvironment({ [setting]: value }));
    expect(await run.exited).toBe(1);
    const lines = run.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Invalid configuration: ${setting}: `));
  });

  it.concurrent.each([
    ['a port in use', 'busy', /^Cannot listen on 127\.0\.0\.1:\d+: the port is already in use \(set PORT to a free one\)$/],
    ['an unresolvable HOST', 'unresolvable', /^Cannot listen on no-such-host\.invalid:0: HOST "no-such-host\.invalid" is not an address of this machine or cannot be resolved \(set HOST\)$/],
  ])('%s exits 1 with one line, no stack trace', async (_label, kind, expected) => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const env = kind === 'busy' ? { HOST: '127.0.0.1', PORT: String(port) } : { HOST: 'no-such-host.invalid', PORT: '0' };
      const run = start(bareEnvironment(env));
      expect(await run.exited).toBe(1);
      expect(run.output().stderr.trim().split('\n')).toEqual([expect.stringMatching(expected)]);
    } finally {
      busy.close();
    }
  });

  it('NODE_ENV=production with a one-character ADMIN_TOKEN exits 1 with one line naming it', async () => {
    const run = start(bareEnvironment({ NODE_ENV: 'production', ADMIN_TOKEN: 'a' }));
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim().split('\n')).toEqual(['Invalid configuration: ADMIN_TOKEN: must be at least 32 characters in production (got 1)']);
  });

  it('starts with no settings: the embedded store on disk in ./data (created, printed), GraphQL URL, a generated admin token that works', async () => {
    const cwd = freshDir();
    const run = start(bareEnvironment({ PORT: '0' }), cwd);
    const [, url] = await run.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    const [, token] = await run.waitFor(/generated an admin token for this run:\s+(\S+)/);
    expect(run.output().stdout).toContain(`storage: embedded, on disk in ${join(cwd, 'data')} (0 documents loaded in `);
    expect(run.output().stdout).toMatch(/one process per data directory, set MONGODB_URI to run several instances/);
    expect(existsSync(join(cwd, 'data', 'data.mdb'))).toBe(true);
    expect(run.output().stdout).toMatch(/WhatsApp sending is off until WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN are set/);

    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(await response.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('SIGTERM during a request: the request completes, then the process exits 0', async () => {
    const run = start(bareEnvironment({ PORT: '0', ADMIN_TOKEN: 'sigterm-admin-token', DATA_DIR: 'memory' }));
    const [, url] = await run.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    const body = JSON.stringify({ query: '{ viewer { role } }' });
    const target = new URL(`${url}/graphql`);

    // The request is in flight (headers and half the body sent) when SIGTERM arrives.
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer sigterm-admin-token' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        run.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    const { status, text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toMatch(/shut down cleanly/);
  });

  it('stopped and started again on the same DATA_DIR: the same agents are there', async () => {
    const env = bareEnvironment({ PORT: '0', ADMIN_TOKEN: 'restart-admin-token', DATA_DIR: join(freshDir(), 'nested', 'data') });
    const first = start(env);
    const [, url] = await first.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    expect(await graphql(url!, 'restart-admin-token', 'mutation { createAgent(input: { name: "Kept Agent", email: "kept@example.test" }) { agent { name } } }')).toEqual({
      data: { createAgent: { agent: { name: 'Kept Agent' } } },
    });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start(env);
    const [, again] = await second.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    expect(second.output().stdout).toMatch(/storage: embedded, on disk in \S+nested\/data \([1-9]\d* documents loaded/);
    const agents = (await graphql(again!, 'restart-admin-token', '{ agents { name email } }')) as { data: { agents: { name: string; email: string }[] } };
    expect(agents.data.agents).toContainEqual({ name: 'Kept Agent', email: 'kept@example.test' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('REDIS_URL at a closed port: a degraded start, /readyz 503 naming Redis, one log line for the outage, not one per retry', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const run = start(bareEnvironment({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory', REDIS_URL: `redis://127.0.0.1:${port}` }));
    const [, url] = await run.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    const readyz = await fetch(`${url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ reason: 'redis unreachable' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    // ioredis retries every few hundred ms up to 2 s, the embedded-peers heartbeat runs every 10 s: 12 s see both many times over.
    // A load balancer probes /readyz all along.
    const probing = (async () => {
      for (let i = 0; i < 12; i++) {
        await fetch(`${url}/readyz`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    await probing;
    const logLines = run
      .output()
      .stdout.split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; level: number });
    const outage = logLines.filter((l) => l.msg.startsWith('redis unreachable'));
    expect(outage, run.output().stdout).toHaveLength(1);
    expect(outage[0]!.level).toBe(50);
    const warnings = logLines.filter((l) => l.level >= 40 && /redis|instances/i.test(l.msg));
    // The start-up warning about REDIS_URL without MONGODB_URI, and the outage itself; nothing per retry.
    expect(warnings.map((l) => l.msg), run.output().stdout).toHaveLength(2);
    expect(logLines.filter((l) => l.msg.startsWith('not ready')), run.output().stdout).toHaveLength(1);
    expect(logLines.length).toBeLessThan(30);
    expect(run.output().stderr).toBe('');
    expect((await fetch(`${url}/readyz`)).status).toBe(503);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('a second process on the same DATA_DIR exits 1 with one line naming the directory and the first one', async () => {
    const dataDir = join(freshDir(), 'data');
    const first = start(bareEnvironment({ PORT: '0', DATA_DIR: dataDir }));
    await first.waitFor(/GraphQL ready at/);
    const second = start(bareEnvironment({ PORT: '0', DATA_DIR: dataDir }));
    expect(await second.exited).toBe(1);
    const lines = second.output().stderr.trim().split('\n');
    expect(lines).toEqual([
      `DATA_DIR ${dataDir} is in use by another desk process (pid ${first.child.pid}): one process per data directory; stop that one, or set MONGODB_URI to run several instances`,
    ]);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
