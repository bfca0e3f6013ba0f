// publishRelease against the fake GitHub: both assets on the upload host, latest, pruning, retries, no secrets.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubError, publishRelease, type GitHubTarget } from '../../core/release/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { tempDir, TOKEN } from '../poller/kit.js';

let gh: FakeGitHub;
let t: GitHubTarget;
let bundleFile: string;
const bundle = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 251));

beforeEach(async () => {
  gh = await startFakeGitHub();
  t = { apiUrl: gh.apiUrl, owner: 'acme', repo: 'skills', token: TOKEN };
  bundleFile = path.join(await tempDir('skill-sync-rel-'), 'skills.tar.gz');
  await writeFile(bundleFile, bundle);
});
afterEach(() => gh.close());

const req = (tag: string, keep = 10) => ({
  tag,
  name: tag,
  body: 'notes',
  commit: 'abc123',
  bundleFile,
  envelopeJson: '{"payload":"e30=","payloadType":"x","signatures":[]}',
  keep,
  retry: { baseDelayMs: 5 },
});

describe('publishRelease', () => {
  it('creates a latest release and uploads both assets, byte for byte, to the upload host', async () => {
    const r = await publishRelease(t, req('skill-sync-1'));
    const rel = gh.state.releases.find((x) => x.id === r.id)!;
    expect(r.url).toBe('https://github.com/acme/skills/releases/tag/skill-sync-1');
    expect(gh.latest()?.id).toBe(r.id);
    expect(rel.targetCommitish).toBe('abc123');
    const tar = rel.assets.find((a) => a.name === 'skills.tar.gz')!;
    const env = rel.assets.find((a) => a.name === 'skills.dsse.json')!;
    expect(tar.data.equals(bundle)).toBe(true);
    expect(tar.contentType).toBe('application/gzip');
    expect(env.data.toString()).toBe(req('x').envelopeJson);
    expect(env.contentType).toBe('application/json');
    const uploads = gh.requests.filter((q) => q.host === 'uploads');
    expect(uploads.map((q) => q.query.name)).toEqual(['skills.tar.gz', 'skills.dsse.json']);
    expect(uploads.every((q) => q.authorization && q.status === 201)).toBe(true);
    expect(uploads[0]!.headers['content-length']).toBe(String(bundle.length));
    const create = gh.requests.find((q) => q.method === 'POST' && q.host === 'api')!;
    expect(create.headers['x-github-api-version']).toBe('2022-11-28');
  });

  it('prunes skill-sync releases beyond keep, with their tags, and leaves other releases alone', async () => {
    gh.addRelease({ tag: 'v1.0.0' });
    for (const n of [1, 2, 3, 4]) await publishRelease(t, req(`skill-sync-${n}`, 2));
    const tags = gh.state.releases.map((r) => r.tagName).sort();
    expect(tags).toEqual(['skill-sync-3', 'skill-sync-4', 'v1.0.0']);
    expect([...gh.state.tags].sort()).toEqual(['skill-sync-3', 'skill-sync-4', 'v1.0.0']);
    const last = gh.requests.filter((q) => q.method === 'DELETE').map((q) => q.path);
    expect(last).toContain('/repos/acme/skills/git/refs/tags/skill-sync-1');
    expect(gh.latest()?.tagName).toBe('skill-sync-4');
  });

  it('retries a 5xx with backoff and does not create the release twice', async () => {
    gh.failNext(502, 2);
    const r = await publishRelease(t, req('skill-sync-9'));
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.state.releases[0]!.id).toBe(r.id);
    expect(gh.requests.filter((q) => q.status === 502)).toHaveLength(2);
  });

  it('finishes a release whose create answer was lost (422 already_exists on retry)', async () => {
    const rel = gh.addRelease({ tag: 'skill-sync-5', assets: [{ name: 'skills.tar.gz', data: 'partial' }] });
    const r = await publishRelease(t, req('skill-sync-5'));
    expect(r.id).toBe(rel.id);
    const tar = gh.state.releases[0]!.assets.find((a) => a.name === 'skills.tar.gz')!;
    expect(tar.data.equals(bundle)).toBe(true);
    expect(gh.state.releases[0]!.assets).toHaveLength(2);
  });

  it('honours Retry-After on a secondary rate limit, then succeeds', async () => {
    gh.failNext(429, 1, { 'retry-after': '1' });
    await publishRelease(t, req('skill-sync-7'));
    const limited = gh.requests.find((q) => q.status === 429)!;
    const next = gh.requests[gh.requests.indexOf(limited) + 1]!;
    expect(next.at).toBeGreaterThanOrEqual(limited.at + 1000);
  });

  it('fails a 4xx without retry, with a one-line message that never holds the token', async () => {
    gh.failNext(400, 1, {}, 'api', { message: `bad ${TOKEN}`.replace(TOKEN, 'input') });
    const err = await publishRelease(t, req('skill-sync-8')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubError);
    expect((err as GitHubError).code).toBe('github_http_400');
    expect((err as Error).message).not.toContain(TOKEN);
    expect((err as Error).message).not.toContain('\n');
    expect(gh.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('is refused without a token (401), creating nothing', async () => {
    const err = await publishRelease({ ...t, token: undefined }, req('skill-sync-2')).catch(
      (e: unknown) => e,
    );
    expect((err as GitHubError).code).toBe('github_http_401');
    expect(gh.state.releases).toHaveLength(0);
  });
});
