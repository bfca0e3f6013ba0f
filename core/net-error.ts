// One line for a failed connection: Node's fetch says only "fetch failed"; the reason is in its cause.
import { redactSecrets } from './secrets/scan.js';

type Cause = Error & { code?: string; cause?: unknown; errors?: unknown[] };

function one(e: Cause): string {
  // Happy eyeballs (IPv6 and IPv4 tried) fails with an AggregateError whose own message is empty.
  const inner = Array.isArray(e.errors) ? (e.errors[0] as Cause | undefined) : undefined;
  const msg = e.message || inner?.message || '';
  const code = e.code ?? inner?.code;
  if (code && msg.includes(code)) return msg;
  return code ? `${code}${msg ? `: ${msg}` : ''}` : msg || String(e);
}

/** `fetch failed` becomes `fetch failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`, scrubbed of secrets. */
export function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return redactSecrets(String(err));
  const e = err as Cause;
  let text = one(e);
  let cause = e.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    text += `: ${one(cause)}`;
    cause = (cause as Cause).cause;
  }
  return redactSecrets(text);
}
