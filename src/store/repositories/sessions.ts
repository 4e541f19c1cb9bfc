import type { SessionDoc } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import type { Store } from '../port.js';

/** Sign-in sessions, by the sha256 of their token. Expired ones are refused and swept on the agent's next sign-in. */
export function sessionRepository(store: Store) {
  const sessions = store.collection<SessionDoc>(COLLECTIONS.sessions);
  return {
    async create(agentId: string, tokenHash: string, now: Date, expiresAt: Date): Promise<SessionDoc> {
      await sessions.deleteMany({ agentId, expiresAt: { $lte: now } });
      return sessions.insertOne({ _id: newId(now.getTime()), agentId, tokenHash, createdAt: now, expiresAt });
    },
    /** The session this token opened, while it has not expired. */
    current: (tokenHash: string, now: Date) => sessions.findOne({ tokenHash, expiresAt: { $gt: now } }),
    /** Returns how many were ended (0 or 1). */
    revoke: (tokenHash: string) => sessions.deleteMany({ tokenHash }),
    /** Every session of the agent, except the one `keepTokenHash` names. */
    revokeAllOf: (agentId: string, keepTokenHash: string | null = null) =>
      sessions.deleteMany(keepTokenHash ? { agentId, tokenHash: { $ne: keepTokenHash } } : { agentId }),
  };
}

export type SessionRepository = ReturnType<typeof sessionRepository>;
