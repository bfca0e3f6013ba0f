// The poller's memory on the volume: ETag, last seen release and its verdict, and when the next request may go.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../core/fsutil.js';

/** What we concluded about a release, so a changed ETag on the same release (download_count) costs no download. */
export interface SeenRelease {
  id: number;
  tag: string;
  envelopeAssetId?: number;
  bundleAssetId?: number;
  serial?: number;
  digest?: string;
  verdict: 'applied' | 'up_to_date' | 'older' | 'refused';
  code?: string;
}

export interface PollerState {
  v: 1;
  /** ETag of the last releases/latest answer we handled conclusively. */
  etag?: string;
  lastRelease?: SeenRelease;
  /** Epoch ms: no scheduled poll before this (interval, backoff). */
  nextAllowedAt?: number;
  /** Epoch ms: no request at all before this (GitHub's rate limit). */
  rateLimitedUntil?: number;
  lastCheckAt?: number;
  consecutiveErrors: number;
  latestReleaseSerial?: number;
}

export const emptyState = (): PollerState => ({ v: 1, consecutiveErrors: 0 });

/** A missing or unreadable file starts fresh: the worst case is one extra full request, never a wrong deploy. */
export async function loadState(file: string): Promise<{ state: PollerState; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    return { state: emptyState(), problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    const parsed = JSON.parse(text) as Partial<PollerState>;
    if (parsed.v !== 1) return { state: emptyState(), problem: `${file}: unknown version, starting fresh` };
    return { state: { ...emptyState(), ...parsed, v: 1 } };
  } catch {
    return { state: emptyState(), problem: `${file}: not valid JSON, starting fresh` };
  }
}

export async function saveState(file: string, state: PollerState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n', 0o600);
}
