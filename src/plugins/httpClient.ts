import type { HttpRequest, HttpResponse, PluginHttpClient } from './contract.js';

export interface HttpClientOptions {
  /** Default per-request timeout; a request may override it with `timeoutMs`. */
  timeoutMs?: number;
  /** Sent unless the request sets its own. */
  userAgent?: string;
  /** Injected in tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/**
 * The HTTP client plugins get: JSON in and out, a timeout on every request,
 * and no exception for an HTTP status (a 429 or a 500 is an answer the plugin
 * reads). It throws only when there is no answer: network failure or timeout.
 */
export function createHttpClient(options: HttpClientOptions = {}): PluginHttpClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const defaultTimeout = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const userAgent = options.userAgent ?? 'whatsapp-support-desk';

  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const timeoutMs = req.timeoutMs ?? defaultTimeout;
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': userAgent };
      for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
      let body: string | undefined;
      if (req.json !== undefined) {
        // Plain JSON.stringify, nothing added: plugins that sign a body
        // (webhook) sign JSON.stringify of the same value.
        body = JSON.stringify(req.json);
        headers['content-type'] ??= 'application/json';
      }

      let response: Response;
      let text: string;
      try {
        // One signal covers the whole exchange, body included: a server that
        // sends headers and then stalls is as unanswered as one that never connects.
        const signal = AbortSignal.timeout(timeoutMs);
        response = await fetchImpl(req.url, { method: req.method, headers, body, signal, redirect: 'follow' });
        text = await response.text();
      } catch (error) {
        throw describeFailure(req, timeoutMs, error);
      }

      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name.toLowerCase()] = value;
      });
      return { status: response.status, headers: responseHeaders, body: parseJson(text), text };
    },
  };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export class HttpTimeoutError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`request to ${url} timed out after ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

function describeFailure(req: HttpRequest, timeoutMs: number, error: unknown): Error {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return new HttpTimeoutError(safeUrl(req.url), timeoutMs);
  // undici reports the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null;
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${req.method} ${safeUrl(req.url)} failed: ${cause ?? message}`, { cause: error });
}

/** Never log credentials that may sit in a URL's userinfo or query. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
