// The real process: start-up on zero settings, one clear line for a bad
// setting, and a graceful SIGTERM. Each case spawns `src/main.ts`.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];

/** Only what any shell has: no desk settings at all. */
function bareEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

function start(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
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

afterAll(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('start-up', () => {
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

  it('NODE_ENV=production with a one-character ADMIN_TOKEN exits 1 with one line naming it', async () => {
    const run = start(bareEnvironment({ NODE_ENV: 'production', ADMIN_TOKEN: 'a' }));
    expect(await run.exited).toBe(1);
    expect(run.output().stderr.trim().split('\n')).toEqual(['Invalid configuration: ADMIN_TOKEN: must be at least 32 characters in production (got 1)']);
  });

  it('starts with no settings: embedded store warning, GraphQL URL, a generated admin token that works', async () => {
    const run = start(bareEnvironment({ PORT: '0' }));
    const [, url] = await run.waitFor(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    const [, token] = await run.waitFor(/generated an admin token for this run:\s+(\S+)/);
    expect(run.output().stdout).toMatch(/embedded in-memory store.*MONGODB_URI/);
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
    const run = start(bareEnvironment({ PORT: '0', ADMIN_TOKEN: 'sigterm-admin-token' }));
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
});
