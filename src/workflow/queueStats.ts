import type { WorkflowDeps } from './deps.js';

export interface QueueStats {
  length: number;
  /** When the longest-waiting conversation joined the queue (its cycle's start). */
  oldestQueuedAt: Date | null;
  agentsOnline: number;
}

export async function queueStats(deps: WorkflowDeps): Promise<QueueStats> {
  const [length, oldest, agentsOnline] = await Promise.all([
    deps.repos.conversations.count({ status: ['QUEUED'] }),
    deps.repos.conversations.oldestQueued(),
    deps.repos.agents.countOnline(),
  ]);
  return { length, oldestQueuedAt: oldest?.cycleStartedAt ?? null, agentsOnline };
}
