import type { AssignmentPolicyName } from '../../config.js';
import type { AgentView } from '../../domain/events.js';
import type { AgentDoc, AgentRole, AgentStatus } from '../../domain/model.js';
import { agentOrder, eligibleAgentFilter } from '../../domain/routing.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import type { Store } from '../port.js';

export interface NewAgent {
  name: string;
  email: string;
  role: AgentRole;
  capacity: number;
  tokenHash: string;
  passwordHash: string | null;
}

/** What an admin may change about an agent (updateAgent). */
export interface AgentChanges {
  name?: string;
  capacity?: number;
  role?: AgentRole;
  passwordHash?: string;
}

/** Agents created before deactivation existed have no `active` field: they are active. */
const ACTIVE = { active: { $ne: false } };

/** The bootstrap admin behind ADMIN_TOKEN: a real agent record, so `viewer` works the same for it. */
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@desk.local';

const WITHOUT_TOKEN_HASH = { tokenHash: 0, passwordHash: 0 } as const;

export function agentRepository(store: Store) {
  const agents = store.collection<AgentDoc>(COLLECTIONS.agents);
  return {
    async create(input: NewAgent, now: Date): Promise<AgentDoc> {
      const agent: AgentDoc = {
        _id: newId(now.getTime()),
        ...input,
        email: input.email.toLowerCase(),
        status: 'OFFLINE',
        activeConversations: 0,
        active: true,
        lastAssignedAt: null,
        statusChangedAt: now,
        createdAt: now,
        updatedAt: now,
      };
      return agents.insertOne(agent);
    },

    /** Keeps the ADMIN_TOKEN agent's hash current; creates it on first start. */
    async upsertBootstrapAdmin(tokenHash: string, now: Date): Promise<AgentDoc> {
      const doc = await agents.findOneAndUpdate(
        { email: BOOTSTRAP_ADMIN_EMAIL },
        {
          $set: { tokenHash, role: 'ADMIN', updatedAt: now },
          $setOnInsert: {
            _id: newId(now.getTime()),
            email: BOOTSTRAP_ADMIN_EMAIL,
            name: 'Administrator',
            status: 'OFFLINE',
            capacity: 0,
            activeConversations: 0,
            active: true,
            passwordHash: null,
            lastAssignedAt: null,
            statusChangedAt: now,
            createdAt: now,
          },
        },
        { upsert: true, returnDocument: 'after' },
      );
      return doc!;
    },

    byId: (id: string) => agents.findOne({ _id: id }),
    /** Only active agents: a deactivated agent's token is refused. */
    byTokenHash: (tokenHash: string) => agents.findOne({ tokenHash, ...ACTIVE }),
    activeById: (id: string) => agents.findOne({ _id: id, ...ACTIVE }),
    byEmail: (email: string) => agents.findOne({ email: email.trim().toLowerCase() }),

    update: (id: string, changes: AgentChanges, now: Date) =>
      agents.findOneAndUpdate({ _id: id }, { $set: { ...changes, updatedAt: now } }, { returnDocument: 'after' }),

    /** The old token stops working with this write. */
    replaceTokenHash: (id: string, tokenHash: string, now: Date) =>
      agents.findOneAndUpdate({ _id: id }, { $set: { tokenHash, updatedAt: now } }, { returnDocument: 'after' }),

    /** Returns the agent as it was before, or null when it is unknown or already in that state. */
    setActive: (id: string, active: boolean, now: Date) =>
      agents.findOneAndUpdate(
        { _id: id, active: active ? false : { $ne: false } },
        { $set: { active, updatedAt: now } },
        { returnDocument: 'before' },
      ),
    /** For display: without the token hash, so nothing downstream has one to strip or leak. */
    list: async (): Promise<AgentView[]> => agents.find({}, { sort: { name: 1, _id: 1 }, projection: WITHOUT_TOKEN_HASH }),
    byIds: async (ids: string[]): Promise<AgentView[]> => agents.find({ _id: { $in: ids } }, { projection: WITHOUT_TOKEN_HASH }),

    /** Returns the agent as it was before, or null when it already had that status. */
    async setStatus(id: string, status: AgentStatus, now: Date): Promise<AgentDoc | null> {
      return agents.findOneAndUpdate(
        { _id: id, status: { $ne: status } },
        { $set: { status, statusChangedAt: now, updatedAt: now } },
        { returnDocument: 'before' },
      );
    },

    /**
     * Takes one unit of capacity from an eligible agent, atomically: the
     * filter states ONLINE and below capacity, so 50 concurrent calls against
     * 3 agents of capacity 5 succeed exactly 15 times.
     */
    async claimCapacity(policy: Exclude<AssignmentPolicyName, 'manual'>, now: Date, onlyAgentId?: string | null, exceptAgentId?: string | null): Promise<AgentDoc | null> {
      return agents.findOneAndUpdate(
        eligibleAgentFilter(onlyAgentId ? { _id: onlyAgentId } : exceptAgentId ? { _id: { $ne: exceptAgentId } } : {}),
        { $inc: { activeConversations: 1 }, $set: { lastAssignedAt: now, updatedAt: now } },
        { sort: agentOrder(policy), returnDocument: 'after' },
      );
    },

    /**
     * A transfer's unit of capacity: the target must be active (not
     * deactivated) and below capacity, whatever their status.
     */
    async claimForTransfer(agentId: string, now: Date): Promise<AgentDoc | null> {
      return agents.findOneAndUpdate(
        { _id: agentId, active: { $ne: false }, $expr: { $lt: ['$activeConversations', '$capacity'] } },
        { $inc: { activeConversations: 1 }, $set: { lastAssignedAt: now, updatedAt: now } },
        { returnDocument: 'after' },
      );
    },

    /** ONLINE agents (the queue's "agents online"). */
    countOnline: () => agents.countDocuments({ status: 'ONLINE', active: { $ne: false } }),

    /** Admin assignment may go over capacity on purpose, but never to an unknown agent. */
    async forceClaim(agentId: string, now: Date): Promise<AgentDoc | null> {
      return agents.findOneAndUpdate(
        { _id: agentId, ...ACTIVE },
        { $inc: { activeConversations: 1 }, $set: { lastAssignedAt: now, updatedAt: now } },
        { returnDocument: 'after' },
      );
    },

    async releaseCapacity(agentId: string, now: Date): Promise<AgentDoc | null> {
      return agents.findOneAndUpdate(
        { _id: agentId, activeConversations: { $gt: 0 } },
        { $inc: { activeConversations: -1 }, $set: { updatedAt: now } },
        { returnDocument: 'after' },
      );
    },
  };
}

export type AgentRepository = ReturnType<typeof agentRepository>;
