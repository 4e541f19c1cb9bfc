// Issue 12, finding 4 (sign-in half): agents sign in with email and password,
// sessions expire and end, passwords are kept only as scrypt hashes, and
// guessing is slow. Everything through GraphQL over HTTP and graphql-ws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangePasswordDocument,
  CreateAgentDocument,
  SignInDocument,
  SignOutDocument,
  ViewerDocument,
  AgentUpdatedDocument,
} from '../src/generated/graphql.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { gql } from './support/gqlClient.js';
import { startDesk, type Desk } from './support/desk.js';

const HOUR = 3_600_000;
/** A clock the test can move: sessions expire by the desk's clock, not by waiting. */
const offset = { ms: 0 };
const clock = { now: () => new Date(Date.now() + offset.ms) };

let desk: Desk;
beforeAll(async () => {
  desk = await startDesk({ clock, env: { ASSIGNMENT_POLICY: 'manual', SIGN_IN_ATTEMPTS_PER_EMAIL: '3', SIGN_IN_ATTEMPTS_PER_IP: '1000' } });
});
afterAll(async () => {
  await desk.close();
});

let serial = 0;
async function agentWithPassword(password = 'correct horse battery') {
  const email = `signin-${++serial}@example.test`;
  const created = await desk.admin.run(CreateAgentDocument, { input: { name: `Signer ${serial}`, email, password } });
  return { email, password, id: created.createAgent.agent.id, apiToken: created.createAgent.token };
}

/** Each signIn and each password set costs a real scrypt hash (tens of ms alone, seconds on a loaded 2-core machine). */
const SCRYPT_HEAVY = { timeout: 120_000 };

const signIn = (email: string, password: string) => gql(`${desk.url}/graphql`, SignInDocument, { email, password });

describe('signIn', () => {
  it('gives a session token that works as a bearer token until SESSION_TTL (12h) passes', SCRYPT_HEAVY, async () => {
    const agent = await agentWithPassword();
    const before = clock.now().getTime();
    const { data, errors } = await signIn(agent.email.toUpperCase(), agent.password);
    expect(errors).toBeUndefined();
    const session = data!.signIn;
    expect(session.token).toMatch(/^wss_/);
    expect(session.agent).toMatchObject({ id: agent.id, active: true });
    const expiresIn = new Date(session.expiresAt).getTime() - before;
    expect(expiresIn).toBeGreaterThanOrEqual(12 * HOUR);
    expect(expiresIn).toBeLessThan(12 * HOUR + 60_000);

    expect((await desk.as(session.token).run(ViewerDocument)).viewer.id).toBe(agent.id);
    // The API token from createAgent keeps working beside it, for integrations.
    expect((await desk.as(agent.apiToken).run(ViewerDocument)).viewer.id).toBe(agent.id);

    // Neither the password nor the session token is stored in clear.
    const stored = await desk.app.store.collection(COLLECTIONS.agents).findOne({ _id: agent.id });
    expect(JSON.stringify(stored)).not.toContain(agent.password);
    expect((stored as unknown as { passwordHash: string }).passwordHash).toMatch(/^scrypt\$/);
    const sessions = await desk.app.store.collection(COLLECTIONS.sessions).find({ agentId: agent.id });
    expect(sessions).toHaveLength(1);
    expect(JSON.stringify(sessions)).not.toContain(session.token);

    offset.ms += 12 * HOUR + 1_000;
    try {
      const expired = await desk.as(session.token).try(ViewerDocument);
      expect(expired.status).toBe(401);
      expect(expired.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    } finally {
      offset.ms = 0;
    }
  });

  it('answers an unknown email, a wrong password and a password-less agent alike, in similar time', SCRYPT_HEAVY, async () => {
    const agent = await agentWithPassword();
    await desk.admin.run(CreateAgentDocument, { input: { name: 'Token Only', email: 'token-only@example.test' } });
    const answers = await Promise.all([
      signIn('nobody-here@example.test', agent.password),
      signIn(agent.email, 'wrong password entirely'),
      signIn('token-only@example.test', 'whatever password'),
    ]);
    for (const answer of answers) {
      expect(answer.data).toBeNull();
      expect(answer.errors).toEqual([{ message: 'email or password is wrong', path: ['signIn'], locations: expect.any(Array), extensions: { code: 'UNAUTHENTICATED' } }]);
    }

    // An unknown email still costs a scrypt verification (against a decoy hash).
    const time = async (email: string) => {
      const start = performance.now();
      await signIn(email, 'not the password at all');
      return performance.now() - start;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const unknown: number[] = [];
    const wrong: number[] = [];
    const other = await agentWithPassword();
    for (let i = 0; i < 3; i++) {
      unknown.push(await time(`ghost-${i}@example.test`));
      wrong.push(await time(i % 2 ? other.email : agent.email));
    }
    // Without the decoy an unknown email answers ~50× faster; the bound leaves room for a busy machine.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.3);
  });

  it('limits attempts per email (RATE_LIMITED with retryAfter), and a success resets the count', SCRYPT_HEAVY, async () => {
    const agent = await agentWithPassword();
    for (let i = 0; i < 2; i++) expect((await signIn(agent.email, `wrong guess number ${i}`)).errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect((await signIn(agent.email, agent.password)).data?.signIn.token).toMatch(/^wss_/);
    for (let i = 0; i < 3; i++) await signIn(agent.email, `wrong guess again ${i}`);
    const limited = await signIn(agent.email, agent.password);
    expect(limited.data).toBeNull();
    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(limited.errors?.[0]?.extensions?.['retryAfter']).toBeGreaterThan(0);
    expect(limited.errors?.[0]?.extensions?.['retryAfter']).toBeLessThanOrEqual(15 * 60);
    // Another account from the same address is not locked out by it.
    const other = await agentWithPassword();
    expect((await signIn(other.email, other.password)).data?.signIn.token).toMatch(/^wss_/);
  });

  it('signOut ends this session only; an API token is not a session', SCRYPT_HEAVY, async () => {
    const agent = await agentWithPassword();
    const first = (await signIn(agent.email, agent.password)).data!.signIn.token;
    const second = (await signIn(agent.email, agent.password)).data!.signIn.token;
    const feed = await desk.as(first).subscribe(AgentUpdatedDocument);

    expect((await desk.as(first).run(SignOutDocument)).signOut).toBe(true);
    const after = await desk.as(first).try(ViewerDocument);
    expect(after.status).toBe(401);
    // Its open socket closes too.
    expect((await feed.closed).code).toBe(4403);
    expect((await desk.as(second).run(ViewerDocument)).viewer.id).toBe(agent.id);

    expect((await desk.as(agent.apiToken).run(SignOutDocument)).signOut).toBe(false);
    expect((await desk.as(agent.apiToken).run(ViewerDocument)).viewer.id).toBe(agent.id);
  });
});

describe('passwords', () => {
  it('createAgent refuses a password under 12 characters, naming the field, and creates nothing', SCRYPT_HEAVY, async () => {
    const result = await desk.admin.try(CreateAgentDocument, { input: { name: 'Shorty', email: 'shorty@example.test', password: 'elevenchars' } });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(result.errors?.[0]?.message).toMatch(/12 characters/);
    expect(await desk.app.repos.agents.byEmail('shorty@example.test')).toBeNull();
  });

  it('changePassword checks the current one, ends the other sessions and keeps this one', SCRYPT_HEAVY, async () => {
    const agent = await agentWithPassword();
    const here = (await signIn(agent.email, agent.password)).data!.signIn.token;
    const elsewhere = (await signIn(agent.email, agent.password)).data!.signIn.token;

    const wrong = await desk.as(here).try(ChangePasswordDocument, { currentPassword: 'not my password', newPassword: 'a brand new passphrase' });
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    const short = await desk.as(here).try(ChangePasswordDocument, { currentPassword: agent.password, newPassword: 'short' });
    expect(short.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });

    expect((await desk.as(here).run(ChangePasswordDocument, { currentPassword: agent.password, newPassword: 'a brand new passphrase' })).changePassword).toBe(true);
    expect((await desk.as(here).run(ViewerDocument)).viewer.id).toBe(agent.id);
    expect((await desk.as(elsewhere).try(ViewerDocument)).status).toBe(401);
    expect((await signIn(agent.email, agent.password)).errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect((await signIn(agent.email, 'a brand new passphrase')).data?.signIn.agent.id).toBe(agent.id);
  });

  it('an agent with only an API token sets a first password with an empty currentPassword', SCRYPT_HEAVY, async () => {
    const created = await desk.admin.run(CreateAgentDocument, { input: { name: 'First Timer', email: 'first-timer@example.test' } });
    const client = desk.as(created.createAgent.token);
    expect((await client.run(ChangePasswordDocument, { currentPassword: '', newPassword: 'my first real password' })).changePassword).toBe(true);
    expect((await signIn('first-timer@example.test', 'my first real password')).data?.signIn.agent.id).toBe(created.createAgent.agent.id);
  });
});
