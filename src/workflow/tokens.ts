import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, prefixed so leaked tokens are recognisable by secret scanners. */
export function newAgentToken(): string {
  return `wsd_${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored only as this hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

