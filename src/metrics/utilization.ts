import type { AgentStatus } from '../domain/model.js';

// Agent utilization replays two step functions per agent over [from, to):
// their status (from agent_status events) and how many conversations they
// hold (assigned +1, a transfer −1 to the agent it leaves, unassigned −1,
// resolved −1: the same moves the workflow makes on activeConversations).

export interface AgentUtilization {
  agentId: string;
  agentName: string;
  /** Seconds ONLINE inside the range. */
  onlineSeconds: number;
  /** Seconds ONLINE holding ≥ 1 conversation ÷ seconds ONLINE; 0 when never online. */
  occupancy: number;
  /** Distinct conversations this agent resolved inside the range. */
  conversationsHandled: number;
  /** Time-weighted mean of conversations held while ONLINE ÷ capacity; 0 when never online or capacity 0. */
  averageLoad: number;
}

export interface UtilizationAgent {
  _id: string;
  name: string;
  capacity: number;
}

/** One change to one agent's timeline, inside the range. */
export type TimelineChange =
  | { at: number; agentId: string; status: AgentStatus }
  | { at: number; agentId: string; heldDelta: number };

export interface UtilizationInput {
  from: number;
  to: number;
  agents: readonly UtilizationAgent[];
  /** Status at `from`: the last agent_status before it; agents without one were OFFLINE (agents are created OFFLINE). */
  statusAtStart: ReadonlyMap<string, AgentStatus>;
  /** Conversations held at `from`, from every assignment event before it. */
  heldAtStart: ReadonlyMap<string, number>;
  /** In any order: each agent's are replayed by time. */
  changes: readonly TimelineChange[];
  /** agentId → conversations they resolved in the range. */
  resolvedBy: ReadonlyMap<string, ReadonlySet<string>>;
}

export function replayUtilization(input: UtilizationInput): AgentUtilization[] {
  const byAgent = new Map<string, TimelineChange[]>();
  for (const change of input.changes) {
    let list = byAgent.get(change.agentId);
    if (!list) byAgent.set(change.agentId, (list = []));
    list.push(change);
  }
  for (const list of byAgent.values()) list.sort((a, b) => a.at - b.at);

  return input.agents.map((agent) => {
    let status: AgentStatus = input.statusAtStart.get(agent._id) ?? 'OFFLINE';
    let held = input.heldAtStart.get(agent._id) ?? 0;
    let onlineMs = 0;
    let busyMs = 0;
    // Σ held·dt while ONLINE, in conversation-milliseconds.
    let loadMs = 0;
    let cursor = input.from;
    const advance = (until: number) => {
      const end = Math.min(Math.max(until, cursor), input.to);
      const span = end - cursor;
      if (span > 0 && status === 'ONLINE') {
        // A log that lost an event could drive the count below zero; count that as holding nothing.
        const holding = Math.max(0, held);
        onlineMs += span;
        if (holding > 0) busyMs += span;
        loadMs += holding * span;
      }
      cursor = end;
    };
    for (const change of byAgent.get(agent._id) ?? []) {
      advance(change.at);
      if ('status' in change) status = change.status;
      else held += change.heldDelta;
    }
    advance(input.to);

    const onlineSeconds = onlineMs / 1000;
    return {
      agentId: agent._id,
      agentName: agent.name,
      onlineSeconds,
      occupancy: onlineMs > 0 ? busyMs / onlineMs : 0,
      conversationsHandled: input.resolvedBy.get(agent._id)?.size ?? 0,
      averageLoad: onlineMs > 0 && agent.capacity > 0 ? loadMs / onlineMs / agent.capacity : 0,
    };
  });
}
