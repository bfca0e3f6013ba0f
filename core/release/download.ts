// Poll side: stream one release asset, following GitHub's 302 to the asset host without our credentials.
import { armDeadline, call } from './http.js';
import {
  apiBase,
  apiHeaders,
  AssetTooLarge,
  GitHubError,
  repoUrl,
  timeoutOf,
  type GitHubTarget,
} from './target.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_HOPS = 3;

/**
 * GET /repos/{o}/{r}/releases/assets/{id} with Accept: application/octet-stream. GitHub answers 302 with a
 * signed URL on another host: we follow it by hand so the Authorization header never leaves the API origin.
 * The size cap is checked three times: the declared size, Content-Length, and the bytes actually streamed.
 * `deadlineMs` bounds the whole download, redirects and body included, however slowly the bytes trickle.
 */
export async function downloadAsset(
  t: GitHubTarget,
  asset: { id: number; size: number },
  opts: { maxBytes: number; signal?: AbortSignal; deadlineMs?: number },
): Promise<AsyncIterable<Uint8Array>> {
  if (asset.size > opts.maxBytes) {
    throw new AssetTooLarge(`asset ${asset.id} is ${asset.size} bytes, over the ${opts.maxBytes}-byte cap`);
  }
  // Body-phase idle timeout: one controller we can also abort when the cap is hit.
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  const disarm = opts.deadlineMs ? armDeadline(ctl, opts.deadlineMs, `asset ${asset.id}`) : () => {};
  try {
    const body = await open(t, asset, opts.maxBytes, signal);
    return capped(body, opts.maxBytes, timeoutOf(t), ctl, asset.id, disarm);
  } catch (err) {
    disarm();
    throw err;
  }
}

/** Follows the redirects and checks Content-Length; returns the body to stream. */
async function open(
  t: GitHubTarget,
  asset: { id: number; size: number },
  maxBytes: number,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const apiOrigin = new URL(apiBase(t)).origin;
  let url = repoUrl(t, `/releases/assets/${asset.id}`);
  let res: Response | undefined;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const sameOrigin = new URL(url).origin === apiOrigin;
    const headers = sameOrigin
      ? apiHeaders(t, { accept: 'application/octet-stream' })
      : { accept: 'application/octet-stream', 'user-agent': t.userAgent ?? 'skill-sync' };
    res = await call(t, url, { headers, redirect: 'manual', accept: [...REDIRECTS], signal });
    if (!REDIRECTS.has(res.status)) break;
    const location = res.headers.get('location');
    await res.body?.cancel();
    if (!location)
      throw new GitHubError('github_bad_redirect', `asset ${asset.id}: redirect without Location`);
    url = new URL(location, url).toString();
    res = undefined;
  }
  if (!res) throw new GitHubError('github_bad_redirect', `asset ${asset.id}: too many redirects`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new AssetTooLarge(`asset ${asset.id}: Content-Length ${declared} is over the ${maxBytes}-byte cap`);
  }
  const body = res.body;
  if (!body) throw new GitHubError('github_empty_body', `asset ${asset.id}: empty response`);
  return body;
}

async function* capped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  idleMs: number,
  ctl: AbortController,
  id: number,
  disarm: () => void,
): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => ctl.abort(new GitHubError('github_unreachable', `asset ${id}: download stalled`)),
      idleMs,
    );
  };
  try {
    for (;;) {
      arm();
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (err) {
        if (ctl.signal.aborted && ctl.signal.reason instanceof GitHubError) throw ctl.signal.reason;
        throw new GitHubError(
          'github_unreachable',
          `asset ${id}: download failed: ${(err as Error).message}`,
        );
      }
      if (step.done) return;
      total += step.value.byteLength;
      if (total > maxBytes) throw new AssetTooLarge(`asset ${id}: more than ${maxBytes} bytes streamed`);
      yield step.value;
    }
  } finally {
    clearTimeout(idle);
    disarm();
    // Stops the transfer when we quit early (cap hit, consumer error), and releases the socket.
    await reader.cancel().catch(() => undefined);
  }
}
