// Secret-scanner throughput: scans ~50 MB of realistic Markdown and code in skill-sized files and prints MB/s.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/secrets.js [megabytes]
import { scanText } from '../core/secrets/scan.js';

const PROSE = [
  '# Deploy helper',
  '',
  'Use this skill when the user asks to deploy: it reads the token from the environment and never logs it.',
  'Set `GITHUB_TOKEN` (a secret in the workflow: `token: ${{ secrets.GITHUB_TOKEN }}`) before running.',
  'The API key is passed as `api_key=$API_KEY`; see https://docs.example.com/auth for the password policy.',
  '## Steps',
  '1. Check out commit 3f786850e387550fdab836ed7e6dc881de23001b and verify its sha256 digest.',
  '2. Request id 123e4567-e89b-12d3-a456-426614174000 is logged with the secret name, not the value.',
  '```bash',
  'export DATABASE_URL="postgres://app:${DB_PASSWORD}@db.internal:5432/app"',
  'curl -fsS -H "Authorization: Bearer $TOKEN" https://api.example.com/v1/deployments | jq .status',
  '```',
  '```python',
  'import os, json',
  'token = os.environ["SERVICE_TOKEN"]',
  'def handler(event):',
  '    secret_name = event.get("secretName")',
  '    return json.dumps({"ok": True, "name": secret_name})',
  '```',
  '| Field | Meaning |',
  '|-------|---------|',
  '| password | read from the vault at runtime, rotated every 30 days |',
  'Ordinary paragraphs of guidance make up most of a skill: when to use it, how to phrase answers, which',
  'files to read first, and what to avoid. They rarely mention credentials at all, so the prefilter skips them.',
  '',
].join('\n');

function corpus(template: string, bytes: number, fileSize: number): string[] {
  const files: string[] = [];
  let total = 0;
  let n = 0;
  while (total < bytes) {
    let file = '';
    while (file.length < fileSize) file += template.replace('Deploy helper', `Deploy helper ${n++}`);
    // Round-trip through bytes, as files read from disk are: flat one-byte strings, not ropes built by `+=`.
    files.push(Buffer.from(file).toString('utf8'));
    total += file.length;
  }
  return files;
}

/** Plain guidance prose and code with no credential words: what most of a skill repo is. */
const PLAIN = PROSE.split('\n')
  .filter((l) => !/token|secret|password|api_key|API_KEY|:\/\/|@/i.test(l))
  .join('\n');

function measure(label: string, files: string[]): void {
  const size = files.reduce((sum, f) => sum + Buffer.byteLength(f), 0);
  scanText(files[0]!, 'warmup.md');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let findings = 0;
  for (let i = 0; i < files.length; i++) findings += scanText(files[i]!, `f${i}.md`).length;
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const mb = size / 1024 / 1024;
  // CPU time too: on a shared machine wall time includes other processes' turns.
  console.log(
    `${label}: ${mb.toFixed(1)} MB in ${files.length} files, wall ${wall.toFixed(2)} s = ${(mb / wall).toFixed(0)} MB/s, ` +
      `cpu ${cpuSeconds.toFixed(2)} s = ${(mb / cpuSeconds).toFixed(0)} MB/s, ${findings} findings`,
  );
}

const megabytes = Number(process.argv[2] ?? 50);
measure('credential-heavy docs', corpus(PROSE, megabytes * 1024 * 1024, 20 * 1024));
measure('plain prose and code', corpus(PLAIN, megabytes * 1024 * 1024, 20 * 1024));
