// SKILL_SYNC_OIDC_*: keyless verification alone is a complete configuration; every mistake names its variable.
import { describe, expect, it } from 'vitest';
import type { ReleasePayload } from '../../core/payload.js';
import { loadConfig } from '../../receiver/config.js';
import { checkSource } from '../../receiver/source-policy.js';

const base = { DATA_DIR: '/tmp/skill-sync-oidc-config' };

describe('keyless receiver configuration', () => {
  it('SKILL_SYNC_OIDC_REPOSITORY alone turns it on, with GitHub as issuer and main as the only ref', () => {
    const cfg = loadConfig({ ...base, SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills' });
    expect(cfg.oidc).toEqual({
      issuer: 'https://token.actions.githubusercontent.com',
      repository: 'acme/skills',
      repositoryId: undefined,
      refs: ['refs/heads/main'],
      workflows: [],
      environment: undefined,
    });
    expect(cfg.publicKeys).toBeUndefined();
  });

  it('reads every pin, and keys may be configured too', () => {
    const cfg = loadConfig({
      ...base,
      SKILL_SYNC_PUBLIC_KEYS: 'ed25519:' + Buffer.alloc(32, 1).toString('base64'),
      SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
      SKILL_SYNC_OIDC_REPOSITORY_ID: '424242',
      SKILL_SYNC_OIDC_REFS: 'refs/heads/main, refs/tags/v*',
      SKILL_SYNC_OIDC_WORKFLOWS: '.github/workflows/skills.yml,.github/workflows/release.yaml',
      SKILL_SYNC_OIDC_ENVIRONMENT: 'production',
      SKILL_SYNC_OIDC_ISSUER: 'http://127.0.0.1:9999',
    });
    expect(cfg.oidc).toMatchObject({
      repositoryId: '424242',
      refs: ['refs/heads/main', 'refs/tags/v*'],
      workflows: ['.github/workflows/skills.yml', '.github/workflows/release.yaml'],
      environment: 'production',
      issuer: 'http://127.0.0.1:9999',
    });
    expect(cfg.publicKeys).toBeTruthy();
  });

  it.each([
    [{ SKILL_SYNC_OIDC_ENVIRONMENT: 'production' }, 'SKILL_SYNC_OIDC_REPOSITORY: is required'],
    [{ SKILL_SYNC_OIDC_REPOSITORY: 'skills' }, 'expected owner/repo'],
    [
      { SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills', SKILL_SYNC_OIDC_REPOSITORY_ID: 'acme' },
      'numeric repository id',
    ],
    [
      { SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills', SKILL_SYNC_OIDC_REFS: 'main' },
      'SKILL_SYNC_OIDC_REFS: expected full refs',
    ],
    [
      {
        SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
        SKILL_SYNC_OIDC_WORKFLOWS: 'acme/skills/.github/workflows/a.yml@refs/heads/main',
      },
      'SKILL_SYNC_OIDC_WORKFLOWS',
    ],
    [
      { SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills', SKILL_SYNC_OIDC_ISSUER: 'http://issuer.example.com' },
      'plain http only for a loopback host',
    ],
    [
      { SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills', SKILL_SYNC_OIDC_ISSUER: 'not a url' },
      'SKILL_SYNC_OIDC_ISSUER: the issuer is not a valid URL',
    ],
    [{}, 'SKILL_SYNC_OIDC_REPOSITORY for keyless deploys'],
  ])('%o is refused: %s', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('the OIDC pins are the source allowlists by default: one policy, one way to match a ref', () => {
    const cfg = loadConfig({
      ...base,
      SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
      SKILL_SYNC_OIDC_REFS: 'refs/heads/main,refs/tags/v*',
    });
    expect(cfg.allowedRepositories).toEqual(['acme/skills']);
    const release = (repository: string, ref: string) => ({ repository, ref }) as ReleasePayload;
    // A tag the OIDC policy allows deploys; before, a second list defaulting to main refused it (403).
    expect(() => checkSource(release('acme/skills', 'refs/tags/v1.2.0'), cfg)).not.toThrow();
    expect(() => checkSource(release('acme/skills', 'refs/heads/dev'), cfg)).toThrow(
      /ref-not-allowed|not in/,
    );
    expect(() => checkSource(release('mallory/skills', 'refs/heads/main'), cfg)).toThrow(/not in/);
    // Explicit allowlists still win.
    const own = loadConfig({
      ...base,
      SKILL_SYNC_OIDC_REPOSITORY: 'acme/skills',
      SKILL_SYNC_ALLOWED_REFS: 'refs/heads/release',
    });
    expect(own.allowedRefs).toEqual(['refs/heads/release']);
  });
});
