// The operator's own secrets pasted into a skill (issue 16, docs/security.md): Railway tokens (UUIDs) and hex
// secrets under secret-named variables, in .env, shell, YAML and JSON; ids, SHAs and digests elsewhere stay quiet.
import { describe, expect, it } from 'vitest';
import { scanText } from '../../core/secrets/scan.js';
import { pick, rng, uuid } from './fakes.js';

const r = rng(16);
const hex = (n: number) => pick(r, '0123456789abcdef', n);

/** One assignment written the four ways a skill would hold it. */
function forms(name: string, value: string): Record<string, { file: string; text: string }> {
  return {
    '.env': { file: 'skills/ops/.env.example', text: `# ops\n${name}=${value}\n` },
    shell: { file: 'skills/ops/run.sh', text: `#!/bin/sh\nexport ${name}="${value}"\nexec node app.js\n` },
    YAML: { file: 'skills/ops/config.yaml', text: `env:\n  ${name}: '${value}'\n` },
    JSON: { file: 'skills/ops/config.json', text: `{\n  "env": { "${name}": "${value}" }\n}\n` },
  };
}

const caught: [string, string, string][] = [
  ['RAILWAY_TOKEN', uuid(r), 'secret/railway-token'],
  ['RAILWAY_API_TOKEN', uuid(r), 'secret/railway-token'],
  ['railway_project_token', uuid(r), 'secret/railway-token'],
  ['GITHUB_WEBHOOK_SECRET', hex(64), 'secret/generic-secret'],
  ['MANUAL_SYNC_API_KEY', hex(48), 'secret/generic-secret'],
  ['SKILL_SYNC_HMAC_SECRET', hex(64), 'secret/generic-secret'],
  ['SERVICE_TOKEN', hex(40), 'secret/generic-secret'],
  ['STRIPE_API_KEY', hex(32), 'secret/generic-secret'],
  ['SESSION_TOKEN', uuid(r), 'secret/generic-secret'],
];

describe('operator secrets', () => {
  for (const [name, value, rule] of caught) {
    for (const [form, { file, text }] of Object.entries(forms(name, value))) {
      it(`${name} in ${form}`, () => {
        const findings = scanText(text, file);
        expect(findings.map((f) => f.rule)).toEqual([rule]);
        const line = text.split('\n').findIndex((l) => l.includes(value)) + 1;
        expect(findings[0]).toMatchObject({ line, column: text.split('\n')[line - 1]!.indexOf(value) + 1 });
        expect(findings[0]!.message).not.toContain(value);
      });
    }
  }

  const quiet: Record<string, string> = {
    'a bare UUID in prose': `The request id was ${uuid(r)}, see the log.`,
    'a bare hash in prose': `The file hashes to ${hex(64)} on every machine.`,
    'a commit SHA': `GITHUB_SHA=${hex(40)}\ncommit: ${hex(40)}\n"sha": "${hex(40)}"`,
    'sha256: digests': `IMAGE_DIGEST=sha256:${hex(64)}\nimage: node@sha256:${hex(64)}\nWEBHOOK_SECRET_SHA256=${hex(64)}`,
    'a sha256: digest under a token name': `CACHE_TOKEN: sha256:${hex(64)}`,
    'an id that is not secret-named': `DEPLOYMENT_ID=${uuid(r)}\nRAILWAY_PROJECT_ID=${uuid(r)}`,
    'filler under a secret name': `GITHUB_WEBHOOK_SECRET=${'0'.repeat(64)}\nRAILWAY_TOKEN=00000000-0000-0000-0000-000000000000`,
    'a placeholder under a secret name':
      'MANUAL_SYNC_API_KEY=$(openssl rand -hex 24)\nRAILWAY_TOKEN=${RAILWAY_TOKEN}',
  };
  for (const [name, text] of Object.entries(quiet)) {
    it(`stays quiet on ${name}`, () => {
      expect(scanText(text, 'skills/ops/NOTES.md')).toEqual([]);
    });
  }
});
