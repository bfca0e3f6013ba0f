// Poll side: stream one release asset, following GitHub's 302 to the asset host without our credentials.
import { call } from './http.js';
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
 */
export async function downloadAsset(
  t: GitHubTarget,
  asset: { id: number; size: number },
  opts: { maxBytes: number; signal?: AbortSignal },
): Promise<AsyncIterable<Uint8Array>> {
  if (asset.size > opts.maxBytes) {
    throw new AssetTooLarge(`asset ${asset.id} is ${asset.size} bytes, over the ${opts.maxBytes}-byte cap`);
  }
  const apiOrigin = new URL(apiBase(t)).origin;
  // Body-phase idle timeout: one controller we can also abort when the cap is hit.
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
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
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel();
    // Raised by the stream, like a cap hit while streaming, so the reader refuses it instead of retrying.
    return refuse(
      new AssetTooLarge(
        `asset ${asset.id}: Content-Length ${declared} is over the ${opts.maxBytes}-byte cap`,
      ),
    );
  }
  const body = res.body;
  if (!body) throw new GitHubError('github_empty_body', `asset ${asset.id}: empty response`);
  return capped(body, opts.maxBytes, timeoutOf(t), ctl, asset.id);
}

// eslint-disable-next-line require-yield -- an empty stream that only fails
async function* refuse(err: AssetTooLarge): AsyncGenerator<Uint8Array> {
  throw err;
}

async function* capped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  idleMs: number,
  ctl: AbortController,
  id: number,
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
    // Stops the transfer when we quit early (cap hit, consumer error), and releases the socket.
    await reader.cancel().catch(() => undefined);
  }
}
