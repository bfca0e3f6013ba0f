// The differential suite: every corpus case's verdict from the pinned gateway itself, and skill-sync agreeing on all.
import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { listBundledSkills, renderBundled } from '../../scripts/gateway-bundled.js';
import { runDifferential, type Row } from '../../scripts/gateway/differential.js';

let rows: Row[] = [];

describe(`skill-sync validate against the pinned gateway`, () => {
  beforeAll(async () => {
    rows = await runDifferential();
  }, 180_000);

  it('asks at least 150 cases, and the gateway both loads and drops in every group', () => {
    expect(new Set(rows.map((r) => r.id)).size).toBeGreaterThanOrEqual(150);
    for (const group of ['frontmatter', 'size', 'layout', 'names', 'roots', 'caps']) {
      const mine = rows.filter((r) => r.group === group);
      expect(
        mine.some((r) => r.gateway === 'loaded'),
        group,
      ).toBe(true);
      expect(
        mine.some((r) => r.gateway === 'dropped'),
        group,
      ).toBe(true);
    }
  });

  it('agrees on every case: an error exactly where the gateway does not load the skill (past its caps, a warning)', () => {
    const disagree = rows
      .filter((r) => !r.agree)
      .map(
        (r) =>
          `${r.id} (${r.placement}): gateway ${r.gateway} ${r.gatewayReason ?? ''}, skill-sync ${r.skillSync} [${r.findings.join(', ')}]${r.sameDescription === false ? ' description differs' : ''}`,
      );
    expect(disagree).toEqual([]);
  });

  it('warns where the gateway loads the skill but not as written', () => {
    const find = (id: string, placement = 'managed') =>
      rows.find((r) => r.id === id && r.placement === placement);
    expect(find('fm-031-colon-in-description')?.findings).toContain('warning:frontmatter/repaired');
    expect(find('fm-069-list-description')?.findings).toContain('warning:frontmatter/coerced');
    expect(find('fm-037-hash-only-value')?.findings).toContain('warning:frontmatter/line-value');
    expect(find('nm-bundled-skill-creator')).toMatchObject({
      gateway: 'loaded',
      findings: ['warning:gateway/bundled-name'],
    });
    expect(find('nm-bundled-skill-creator', 'extra')).toMatchObject({
      gateway: 'dropped',
      findings: ['error:gateway/bundled-name'],
    });
  });

  it('past the caps, says so with a warning: the gateway drops the skill, the repo is not wrong', () => {
    for (const id of ['cap-204', 'cap-206', 'scan-301', 'scan-303']) {
      const r = rows.find((x) => x.id === id);
      expect(r, id).toMatchObject({ gateway: 'dropped', skillSync: 'capped' });
      expect(
        r?.findings.some((f) => /^warning:gateway\/(skill|scan)-cap$/.test(f)),
        id,
      ).toBe(true);
    }
    expect(rows.find((x) => x.id === 'cap-203')).toMatchObject({ gateway: 'loaded', skillSync: 'loads' });
  });

  it('gives the gateway’s own reason where it drops a skill for its frontmatter', () => {
    const r = rows.find((x) => x.id === 'fm-052-argument-hint-quotes-or' && x.placement === 'managed');
    expect(r?.gatewayReason).toMatch(/^invalid frontmatter: UNEXPECTED_TOKEN/);
    expect(r?.findings).toEqual(['error:frontmatter/yaml-invalid']);
  });
});

describe('the bundled skill names', () => {
  it('core/gateway/bundled-skills.json is what the pinned gateway lists (regenerate: node lib/scripts/gateway-bundled.js)', async () => {
    const committed = await readFile(
      new URL('../../core/gateway/bundled-skills.json', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(renderBundled(await listBundledSkills()));
  }, 60_000);
});
