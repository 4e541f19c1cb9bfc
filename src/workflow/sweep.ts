// One sweep over the store for work whose wake-up job was lost: outbound
// messages (QUEUED and due, or SENDING past their lease) and follow-ups
// (greetings owed, conversations waiting for an agent). It runs at start-up
// with no grace (an in-process runner remembers nothing across a restart)
// and then every OUTBOX_SWEEP_INTERVAL, leaving alone work younger than one
// interval, which its own wake is still expected to handle.
import type { WorkflowDeps } from './deps.js';
import { sweepFollowUps } from './followUp.js';
import { sweepOutbox } from './outbound.js';

export interface SweepResult {
  sendsWoken: number;
  greeted: number;
  assigned: number;
  surveyed: number;
}

export interface Sweeper {
  /** One pass now (start-up, tests). */
  runOnce(graceMs?: number): Promise<SweepResult>;
  stop(): void;
}

export function startSweeper(deps: WorkflowDeps): Sweeper {
  const intervalMs = deps.outbox.sweepIntervalMs;
  let running: Promise<SweepResult> | null = null;
  let stopped = false;

  async function pass(graceMs: number): Promise<SweepResult> {
    const sendsWoken = await sweepOutbox(deps, graceMs);
    const { greeted, assigned, surveyed } = await sweepFollowUps(deps, graceMs);
    const result = { sendsWoken, greeted, assigned, surveyed };
    if (sendsWoken + greeted + assigned + surveyed > 0) deps.logger.info(result, 'outbox sweep picked up work whose wake was lost');
    return result;
  }

  function runOnce(graceMs = intervalMs): Promise<SweepResult> {
    // One pass at a time: a slow store must not pile sweeps on top of each other.
    running ??= pass(graceMs).finally(() => (running = null));
    return running;
  }

  const timer =
    intervalMs > 0
      ? setInterval(() => {
          if (stopped) return;
          runOnce().catch((error: unknown) => deps.dependencyFailed('store', error, { during: 'outbox sweep' }));
        }, intervalMs)
      : null;
  timer?.unref();

  return {
    runOnce,
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}
