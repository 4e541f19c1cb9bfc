// When the embedded engine's callers hear back, relative to the disk.
//
// Outside a batch every call answers once the journal holds everything
// recorded so far (its own changes and any it may have read), so no caller
// ever learns of a change the disk could still lose. That costs one commit
// wait per call: a webhook that reads the customer, stores the message and
// moves the conversation waited for three commits in a row.
//
// A batch is one unit of work (a webhook's messages) whose calls answer as
// soon as memory has their effect; the batch as a whole resolves once all of
// it is durable, one commit wait for the unit. Inside it nothing may leave the
// process before that commit, so live updates and jobs go through
// afterDurable, which holds them until the disk has everything they could
// describe, starts them in the order they were raised, and runs them outside
// the batch.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Journal } from './journal.js';

export class Durability {
  private readonly batching = new AsyncLocalStorage<true>();
  /** The last held effect: later ones run after it, so effects keep the order they were raised in. */
  private tail: Promise<unknown> = Promise.resolve();
  private held = 0;

  constructor(readonly journal: Journal) {}

  /** What a call waits for before answering: nothing inside a batch, the pending commit (if any) outside. */
  beforeAnswer(): Promise<void> | null {
    return this.batching.getStore() ? null : this.journal.settled();
  }

  async batch<T>(work: () => Promise<T>): Promise<T> {
    // In memory there is nothing to wait for, and no context to keep (it costs every promise a hook on Node 20).
    if (!this.journal.writesToDisk) return work();
    const value = await this.batching.run(true, work);
    const pending = this.journal.settled();
    if (pending) await pending;
    return value;
  }

  afterDurable<T>(effect: () => T): T | Promise<T> {
    // Outside a batch the caller's own calls already waited for the disk.
    if (!this.journal.writesToDisk || (!this.batching.getStore() && this.held === 0)) return effect();
    const pending = this.journal.settled();
    if (!pending && this.held === 0) return this.batching.exit(effect);
    this.held++;
    // The order kept is the order effects start in, not the order they finish: an effect that returns a promise
    // (a job handed to Redis) must not hold every later one (live updates, other jobs) for its round trip.
    // Boxed, so the chain does not adopt the effect's promise.
    const started = this.tail.then(() => pending).then(() => ({ result: this.batching.exit(effect) }));
    const release = () => {
      this.held--;
    };
    this.tail = started.then(release, release);
    return started.then(({ result }) => result);
  }
}
