// Reading HTTP headers the same way everywhere: the desk's own clients, the
// WhatsApp client and the plugins (through the plugin contract).

/** A header by name, whatever the case its sender used. */
export function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Milliseconds to wait from a Retry-After value: delay-seconds or an
 * HTTP-date (RFC 9110 §10.2.3). Fractional seconds, which some servers send,
 * round up. Null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | null {
  const trimmed = value?.trim();
  if (!trimmed) return null;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
