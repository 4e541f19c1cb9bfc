// The integrations screen's verdict on one plugin, from its delivery counts.
import type { DeliveryStats } from '../store/repositories/pluginDeliveries.js';

export type IntegrationHealth = 'OK' | 'DEGRADED' | 'FAILING';

export interface IntegrationStatus {
  name: string;
  status: IntegrationHealth;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
  /** Deliveries waiting (including those in retry). */
  pending: number;
  deadLetters: number;
}

export function integrationStatus(name: string, stats: DeliveryStats): IntegrationStatus {
  const { lastErrorAt, lastDeliveredAt } = stats;
  const troubled = stats.retrying > 0 || stats.deadLetters > 0;
  // FAILING: the latest outcome is a failure and something is still
  // undelivered. DEGRADED: deliveries go through, but some wait in retry or
  // were given up.
  const failingNow = lastErrorAt !== null && (lastDeliveredAt === null || lastErrorAt > lastDeliveredAt);
  const status: IntegrationHealth = troubled ? (failingNow ? 'FAILING' : 'DEGRADED') : 'OK';
  return { name, status, lastError: stats.lastError, lastErrorAt, lastDeliveredAt, pending: stats.pending, deadLetters: stats.deadLetters };
}
