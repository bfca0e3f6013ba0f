// Poll-side client against the fake GitHub: our newest release, ETag/304, 302 asset download, caps, rate limits.
import { afterEach, describe, expect, it } from 'vitest';
import {
  AssetTooLarge,
  downloadAsset,
  getLatestOurs,
  GitHubError,
  parseRateLimit,
  rateLimitOf,
  RateLimited,
  type GitHubTarget,
} from '../../core/release/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { TOKEN } from './kit.js';

let gh: FakeGitHub | undefined;
afterEach(() => gh?.close());

async function setup(opts: Parameters<typeof startFakeGitHub>[0] = {}) {
  gh = await startFakeGitHub(opts);
  const t: GitHubTarget = {
    apiUrl: gh.apiUrl,
    owner: 'acme',
    repo: 'skills',
    token: TOKEN,
    timeoutMs: 5_000,
  };
  return { gh, t };
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}

// Which release is ours (prefix, serial, never Latest): test/release/ours.test.ts.
describe('getLatestOurs', () => {
  it('answers none when the repo has no published release of ours', async () => {
    const { gh, t } = await setup();
    gh.addRelease({ tag: 'skill-sync-1', draft: true });
    expect((await getLatestOurs(t)).status).toBe('none');
  });

  it('revalidates with the ETag: 304 not_modified, which does not count against the rate limit', async () => {
    const { gh, t } = await setup();
    gh.addRelease({ tag: 'skill-sync-1', assets: [{ name: 'skills.tar.gz', data: 'x' }] });
    const first = await getLatestOurs(t);
    if (first.status !== 'ok') throw new Error('expected ok');
    expect(first.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(first.release.assets[0]).toMatchObject({ name: 'skills.tar.gz', size: 1 });
    const before = first.rate.remaining!;
    const second = await getLatestOurs(t, first.etag);
    expect(second.status).toBe('not_modified');
    expect(gh.state.rate.remaining).toBe(before);
    gh.addRelease({ tag: 'skill-sync-2' });
    expect((await getLatestOurs(t, first.etag)).status).toBe('ok');
  });

  it('throws RateLimited at remaining 0, waiting until x-ratelimit-reset', async () => {
    const { gh, t } = await setup();
    const reset = Math.floor(Date.now() / 1000) + 120;
    gh.setRateLimit({ remaining: 0, reset });
    const err = await getLatestOurs(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimited);
    expect((err as RateLimited).retryAt).toBe(reset * 1000);
    expect((err as RateLimited).status).toBe(403);
  });

  it('turns a hang into a timeout error', async () => {
    const { gh, t } = await setup();
    gh.hangNext(1);
    const err = await getLatestOurs({ ...t, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).code).toBe('github-unreachable');
    expect((err as GitHubError).transient).toBe(true);
  });
});

describe('downloadAsset', () => {
  const data = Buffer.alloc(100_000, 0x5a);

  it('follows the 302 to the asset host without sending Authorization there', async () => {
    const { gh, t } = await setup();
    const rel = gh.addRelease({ tag: 'skill-sync-1', assets: [{ name: 'skills.tar.gz', data }] });
    const asset = rel.assets[0]!;
    const got = await collect(await downloadAsset(t, asset, { maxBytes: data.length }));
    expect(got.equals(data)).toBe(true);
    const api = gh.requests.find((q) => q.host === 'api' && q.path.endsWith(`/releases/assets/${asset.id}`))!;
    const host = gh.requests.find((q) => q.host === 'assets')!;
    expect(api).toMatchObject({ status: 302, authorization: true });
    expect(api.headers.accept).toBe('application/octet-stream');
    expect(host).toMatchObject({ status: 200, authorization: false });
  });

  it('refuses by declared size before any request, and by Content-Length before the body', async () => {
    const { gh, t } = await setup();
    const rel = gh.addRelease({ tag: 'skill-sync-1', assets: [{ name: 'skills.tar.gz', data, size: 10 }] });
    await expect(
      downloadAsset(t, { id: rel.assets[0]!.id, size: data.length }, { maxBytes: 10 }),
    ).rejects.toBeInstanceOf(AssetTooLarge);
    expect(gh.requests).toHaveLength(0);
    // Raised by the stream before any body byte, so the reader treats it like a cap hit, never as a retry.
    let seen = 0;
    const err = await (async () => {
      for await (const c of await downloadAsset(t, rel.assets[0]!, { maxBytes: 10 })) seen += c.byteLength;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssetTooLarge);
    expect(seen).toBe(0);
    expect((err as Error).message).toMatch(/Content-Length/);
  });

  it('stops streaming once more than maxBytes arrived (no Content-Length)', async () => {
    const { gh, t } = await setup({ chunkedAssets: true });
    const rel = gh.addRelease({
      tag: 'skill-sync-1',
      assets: [{ name: 'skills.tar.gz', data, size: 20_000 }],
    });
    let seen = 0;
    const err = await (async () => {
      for await (const c of await downloadAsset(t, rel.assets[0]!, { maxBytes: 20_000 }))
        seen += c.byteLength;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssetTooLarge);
    expect(seen).toBeLessThanOrEqual(20_000);
  });
});

describe('rate-limit headers', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  const now = 1_700_000_000_000;

  it('parses GitHub headers', () => {
    expect(
      parseRateLimit(
        h({
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '4999',
          'x-ratelimit-reset': '1700000100',
          'x-ratelimit-used': '1',
          'x-ratelimit-resource': 'core',
        }),
      ),
    ).toEqual({ limit: 5000, remaining: 4999, reset: 1700000100, used: 1, resource: 'core' });
  });

  it('orders the waits as GitHub documents: retry-after, then reset, then at least 60 s', () => {
    expect(rateLimitOf(429, h({ 'retry-after': '7' }), '', now)?.retryAt).toBe(now + 7000);
    expect(
      rateLimitOf(403, h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000100' }), '', now)
        ?.retryAt,
    ).toBe(1_700_000_100_000);
    expect(
      rateLimitOf(403, h({}), '{"message":"You have exceeded a secondary rate limit"}', now)?.retryAt,
    ).toBe(now + 60_000);
    expect(rateLimitOf(429, h({}), '', now)?.retryAt).toBe(now + 60_000);
    expect(
      rateLimitOf(403, h({ 'x-ratelimit-remaining': '12' }), '{"message":"Resource not accessible"}', now),
    ).toBeNull();
    expect(rateLimitOf(500, h({ 'retry-after': '1' }), '', now)).toBeNull();
  });
});
