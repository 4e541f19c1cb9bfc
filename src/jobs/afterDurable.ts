import type { Store } from '../store/port.js';
import type { JobQueue } from './port.js';

/**
 * The queue with every job handed over only once the store has made durable
 * what the job refers to (Store.afterDurable): inside a store batch, a job
 * must not start (or reach Redis) before the message it sends is on disk.
 */
export function enqueueAfterDurable(queue: JobQueue, afterDurable: Store['afterDurable']): JobQueue {
  return { ...queue, enqueue: async (name, payload, options) => afterDurable(() => queue.enqueue(name, payload, options)) };
}
