// fetch with a timeout, written once: every HTTP client of skill-sync gives up on a silent server.

export interface TimeoutInit extends RequestInit {
  timeoutMs: number;
  /**
   * What the timeout bounds: 'body' (default) the whole exchange, reading the answer included; 'headers' only the
   * wait for the answer to start, for downloads whose body a reader bounds by size and total deadline.
   */
  until?: 'headers' | 'body';
}

/**
 * Node's fetch with `timeoutMs`. A timeout rejects with a DOMException named 'TimeoutError' (as
 * AbortSignal.timeout does); an abort of the caller's own `signal` rejects with that signal's reason.
 */
export async function fetchWithTimeout(url: string | URL, init: TimeoutInit): Promise<Response> {
  const { timeoutMs, until = 'body', ...rest } = init;
  if (until === 'body') {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetch(url, { ...rest, signal: rest.signal ? AbortSignal.any([rest.signal, timeout]) : timeout });
  }
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  try {
    return await fetch(url, {
      ...rest,
      signal: rest.signal ? AbortSignal.any([rest.signal, deadline.signal]) : deadline.signal,
    });
  } finally {
    clearTimeout(timer);
  }
}
