// Finding skill-sync's releases: by tag prefix and serial, never by the repository's "Latest" mark or created_at.
import { afterEach, describe, expect, it } from 'vitest';
import { getLatestOurs, serialOfTag, type GitHubTarget } from '../../core/release/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github-api/server.js';
import { TOKEN } from '../poller/kit.js';

let gh: FakeGitHub | undefined;
afterEach(() => gh?.close());

async function setup() {
  gh = await startFakeGitHub();
  const t: GitHubTarget = {
    apiUrl: gh.apiUrl,
    owner: 'acme',
    repo: 'skills',
    token: TOKEN,
    timeoutMs: 5_000,
  };
  return { gh, t };
}

describe('serialOfTag', () => {
  it('reads only prefix + digits', () => {
    expect(serialOfTag('skill-sync-1733190000000')).toBe(1733190000000);
    expect(serialOfTag('skill-sync-12-rc1')).toBeNull();
    expect(serialOfTag('v1.0.0')).toBeNull();
    expect(serialOfTag('skill-sync-')).toBeNull();
    expect(serialOfTag('skill-sync-0012')).toBeNull();
    expect(serialOfTag('deploy-7', 'deploy-')).toBe(7);
  });
});

describe('getLatestOurs', () => {
  it('takes our highest serial, not the human "Latest" release, not the newest created_at, never a draft', async () => {
    const { gh, t } = await setup();
    // created_at is the commit date: a re-deploy of an older commit (serial 300) sorts below serial 200.
    gh.addCommit('c-new', new Date('2026-11-02T00:00:00Z'));
    gh.addCommit('c-old', new Date('2026-10-01T00:00:00Z'));
    gh.addRelease({ tag: 'skill-sync-200', commit: 'c-new', makeLatest: false });
    gh.addRelease({ tag: 'skill-sync-300', commit: 'c-old', makeLatest: false });
    gh.addRelease({ tag: 'skill-sync-400', draft: true, makeLatest: false });
    gh.addRelease({ tag: 'skill-sync-500', prerelease: true, makeLatest: false });
    const human = gh.addRelease({ tag: 'v2.0.0', commit: 'c-new', makeLatest: true });
    expect(gh.latest()?.id).toBe(human.id);
    const r = await getLatestOurs(t);
    expect(r.status === 'ok' && r.release.tag).toBe('skill-sync-300');
  });

  it('answers none when only human releases exist, and 304 (free) when nothing changed', async () => {
    const { gh, t } = await setup();
    gh.addRelease({ tag: 'v1.0.0' });
    const first = await getLatestOurs(t);
    expect(first.status).toBe('none');
    gh.addRelease({ tag: 'skill-sync-9', makeLatest: false });
    const second = await getLatestOurs(t);
    expect(second.status === 'ok' && second.release.tag).toBe('skill-sync-9');
    const etag = second.status === 'ok' ? second.etag : undefined;
    expect(etag).toBeTruthy();
    const third = await getLatestOurs(t, etag);
    expect(third.status).toBe('not_modified');
    expect(gh.requests.at(-1)).toMatchObject({ conditional: true, status: 304 });
  });

  it('reads every page of releases (bounded), so ours is found behind 100 others', async () => {
    const { gh, t } = await setup();
    gh.addCommit('c-old', new Date('2020-01-01T00:00:00Z'));
    gh.addRelease({ tag: 'skill-sync-42', commit: 'c-old', makeLatest: false });
    for (let i = 0; i < 120; i++) gh.addRelease({ tag: `v0.${i}.0` });
    const r = await getLatestOurs(t);
    expect(r.status === 'ok' && r.release.tag).toBe('skill-sync-42');
    expect(gh.requests.filter((q) => q.path.endsWith('/releases'))).toHaveLength(2);
  });
});
