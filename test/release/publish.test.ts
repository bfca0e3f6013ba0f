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
    expect(rel.draft).toBe(false);
    expect(gh.state.latestId).toBeNull();
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
    // The human release keeps the repository's "Latest" mark.
    expect(gh.latest()?.tagName).toBe('v1.0.0');
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
    expect((err as GitHubError).code).toBe('github-http-400');
    expect((err as Error).message).not.toContain(TOKEN);
    expect((err as Error).message).not.toContain('\n');
    expect(gh.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('is refused without a token (401), creating nothing', async () => {
    const err = await publishRelease({ ...t, token: undefined }, req('skill-sync-2')).catch(
      (e: unknown) => e,
    );
    expect((err as GitHubError).code).toBe('github-http-401');
    expect(gh.state.releases).toHaveLength(0);
  });
});

describe('publishRelease on real-GitHub edges', () => {
  it('with immutable releases on: draft, both assets, then publish — and it never takes "Latest"', async () => {
    await gh.close();
    gh = await startFakeGitHub({ immutableReleases: true });
    t = { ...t, apiUrl: gh.apiUrl };
    const human = gh.addRelease({ tag: 'v3.0.0' });
    const r = await publishRelease(t, req('skill-sync-11'));
    const rel = gh.state.releases.find((x) => x.id === r.id)!;
    expect(rel).toMatchObject({ draft: false, immutable: true });
    expect(rel.assets.map((a) => a.name).sort()).toEqual(['skills.dsse.json', 'skills.tar.gz']);
    expect(gh.state.tags.has('skill-sync-11')).toBe(true);
    expect(gh.latest()?.id).toBe(human.id);
    // Order: the create asked for a draft, the uploads came next, the PATCH publishing came last.
    const steps = gh.requests
      .filter((q) => q.method !== 'GET' && q.status < 300)
      .map((q) => `${q.method} ${q.host}`);
    expect(steps).toEqual(['POST api', 'POST uploads', 'POST uploads', 'PATCH api']);
    const create = gh.requests.find((q) => q.method === 'POST' && q.host === 'api')!;
    expect(create.status).toBe(201);
  });

  it("keeps GitHub's errors[].message when an immutable release refuses the assets", async () => {
    await gh.close();
    gh = await startFakeGitHub({ immutableReleases: true });
    t = { ...t, apiUrl: gh.apiUrl };
    // A published release of this tag without assets (what publish-then-upload used to leave behind).
    gh.addRelease({ tag: 'skill-sync-12', makeLatest: false });
    const err = await publishRelease(t, req('skill-sync-12')).catch((e: unknown) => e);
    expect((err as GitHubError).code).toBe('github-http-422');
    expect((err as Error).message).toMatch(/Validation Failed: Cannot upload assets to an immutable release/);
  });

  it('a 502 that leaves a `starter` asset: re-lists the assets, deletes the leftover, uploads again', async () => {
    gh.failUploadLeavingStarter(1);
    const r = await publishRelease(t, req('skill-sync-13'));
    const rel = gh.state.releases.find((x) => x.id === r.id)!;
    expect(rel.assets.map((a) => [a.name, a.state]).sort()).toEqual([
      ['skills.dsse.json', 'uploaded'],
      ['skills.tar.gz', 'uploaded'],
    ]);
    expect(rel.assets.find((a) => a.name === 'skills.tar.gz')!.data.equals(bundle)).toBe(true);
    const tries = gh.requests.filter((q) => q.host === 'uploads' && q.query.name === 'skills.tar.gz');
    expect(tries.map((q) => q.status)).toEqual([502, 422, 201]);
    expect(
      gh.requests.some((q) => q.method === 'GET' && q.path === `/repos/acme/skills/releases/${r.id}/assets`),
    ).toBe(true);
    expect(
      gh.requests.filter((q) => q.method === 'DELETE' && /\/releases\/assets\/\d+$/.test(q.path)),
    ).toHaveLength(1);
  });

  it('an upload that cannot succeed deletes the draft: nothing half-made is left', async () => {
    gh.failNext(400, 1, {}, 'uploads', { message: 'Bad Content-Length' });
    const err = await publishRelease(t, req('skill-sync-14')).catch((e: unknown) => e);
    expect((err as GitHubError).code).toBe('github-http-400');
    expect(gh.state.releases).toHaveLength(0);
    expect(gh.state.tags.size).toBe(0);
  });

  it('403 "Resource not accessible by integration" says to add contents: write', async () => {
    gh.state.contents = 'read';
    const err = await publishRelease(t, req('skill-sync-15')).catch((e: unknown) => e);
    expect((err as GitHubError).status).toBe(403);
    expect((err as Error).message).toMatch(/Resource not accessible by integration/);
    expect((err as Error).message).toMatch(/permissions: contents: write/);
    expect(gh.state.releases).toHaveLength(0);
  });

  it('prunes by serial, not created_at (the commit date): a re-deploy of an old commit counts as new', async () => {
    gh.addCommit('c-new', new Date('2026-11-02T00:00:00Z'));
    gh.addCommit('c-old', new Date('2026-10-01T00:00:00Z'));
    await publishRelease(t, { ...req('skill-sync-100', 2), commit: 'c-new' });
    await publishRelease(t, { ...req('skill-sync-200', 2), commit: 'c-new' });
    // A dispatch re-deploys an older commit: its created_at is the oldest of all.
    await publishRelease(t, { ...req('skill-sync-300', 2), commit: 'c-old' });
    expect(gh.state.releases.map((r) => r.tagName).sort()).toEqual(['skill-sync-200', 'skill-sync-300']);
    await publishRelease(t, { ...req('skill-sync-400', 2), commit: 'c-new' });
    expect(gh.state.releases.map((r) => r.tagName).sort()).toEqual(['skill-sync-300', 'skill-sync-400']);
  });

  it('a leftover draft of ours from a failed run is pruned, a human draft is not', async () => {
    gh.addRelease({ tag: 'skill-sync-50', draft: true, makeLatest: false });
    gh.addRelease({ tag: 'notes-draft', draft: true, makeLatest: false });
    await publishRelease(t, req('skill-sync-60'));
    expect(gh.state.releases.map((r) => r.tagName).sort()).toEqual(['notes-draft', 'skill-sync-60']);
  });
});
