// Scripted failures for the loopback CRM emulators: which request fails and
// for how long is the same for every vendor; what the failure looks like on
// the wire is each emulator's own (its faultAnswer).

/**
 * A scripted failure. It applies to the next `times` matching requests, or to
 * every matching request for `forMs` from now (both: whichever ends first;
 * neither: once). `loseAnswer`: the request is carried out, then its answer is
 * replaced by the failure, as when a proxy times out after the vendor did the work.
 */
export interface ScriptedFault {
  status: number;
  times?: number;
  forMs?: number;
  loseAnswer?: boolean;
  match?: { method?: string; path?: string | RegExp };
}

export function pathMatches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

export class FaultSchedule<F extends ScriptedFault> {
  private active: Array<F & { remaining: number; until: number }> = [];

  inject(fault: F): void {
    this.active.push({
      ...fault,
      remaining: fault.times ?? (fault.forMs === undefined ? 1 : Number.POSITIVE_INFINITY),
      until: fault.forMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + fault.forMs,
    });
  }

  clear(): void {
    this.active = [];
  }

  /** The fault this request meets, if any, counted as used. */
  take(method: string, path: string): F | null {
    const now = Date.now();
    this.active = this.active.filter((fault) => fault.remaining > 0 && fault.until > now);
    const fault = this.active.find(
      (candidate) => (!candidate.match?.method || candidate.match.method === method) && (!candidate.match?.path || pathMatches(candidate.match.path, path)),
    );
    if (!fault) return null;
    fault.remaining -= 1;
    return fault;
  }
}
