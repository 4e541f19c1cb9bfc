// Routing policy as MongoDB documents: which agents may take a conversation
// and in what order they are tried. The assignment itself is an atomic
// findOneAndUpdate using this filter and sort, so capacity is never exceeded.
// Pure: plain documents that the store port's Filter and Sort accept.

export const ASSIGNMENT_POLICIES = ['round_robin', 'least_loaded', 'manual'] as const;
export type AssignmentPolicyName = (typeof ASSIGNMENT_POLICIES)[number];

type Filter = Record<string, unknown>;
type Sort = Record<string, 1 | -1>;

/** Active, ONLINE and below capacity; `$expr` keeps the capacity check inside the one atomic update. */
export function eligibleAgentFilter(extra: Filter = {}): Filter {
  return { ...extra, status: 'ONLINE', active: { $ne: false }, $expr: { $lt: ['$activeConversations', '$capacity'] } };
}

/**
 * round_robin: the agent who was assigned longest ago goes next (never-assigned first),
 * which rotates through eligible agents. least_loaded: fewest active conversations,
 * then longest since last assignment. `_id` breaks ties deterministically.
 */
export function agentOrder(policy: Exclude<AssignmentPolicyName, 'manual'>): Sort {
  return policy === 'round_robin'
    ? { lastAssignedAt: 1, _id: 1 }
    : { activeConversations: 1, lastAssignedAt: 1, _id: 1 };
}
