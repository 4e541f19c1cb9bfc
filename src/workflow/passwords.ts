// Passwords are kept only as scrypt hashes (node:crypto), in one string that
// names its parameters so they can be raised later without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { badInput } from '../domain/errors.js';

export const MIN_PASSWORD_LENGTH = 12;
/** Long enough for any passphrase; short enough that hashing one is no denial of service. */
export const MAX_PASSWORD_LENGTH = 256;

const KEY_LENGTH = 64;
// OWASP's scrypt minimum (N=2^17, r=8, p=1) costs 128 MiB per hash; on a shared
// 2-core server that invites a memory exhaustion through signIn. 2^15 keeps each
// hash at 32 MiB and ~50 ms while staying far beyond offline guessing budgets.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** Throws BAD_USER_INPUT naming `field` when the password is too short or too long. */
export function checkPasswordRules(password: string, field: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw badInput(`${field} must be at least ${MIN_PASSWORD_LENGTH} characters`, field);
  if (length > MAX_PASSWORD_LENGTH) throw badInput(`${field} must be at most ${MAX_PASSWORD_LENGTH} characters`, field);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** False for a wrong password and for a hash this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | null = null;
/**
 * A hash to verify against when the email is unknown or has no password, so
 * that answer takes as long as a wrong password and reveals nothing.
 */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url'));
  return decoy;
}
