// `npm run bench`: runs every bench script as a child process, collects its figures and writes bench/RESULTS.md.
// Run: npm run bench [-- --quick]   (quick: validate --small, pack 3 pairs, action 130 only, secrets 10 MB, receiver/load --quick)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO, tempDir, type Figure } from './support.js';

const quick = process.argv.includes('--quick');
const OUT = path.join(REPO, 'bench', 'RESULTS.md');
const SCRIPT_TIMEOUT_MS = 45 * 60_000;

interface Script {
  name: string;
  file: string;
  args: string[];
  what: string;
  /** Turns printed lines into figures, for a script that does not write BENCH_JSON. */
  parse?: (stdout: string) => Figure[];
}

/** bench/secrets.ts prints `<label>: X MB in N files, wall S s = R MB/s, cpu S s = R MB/s, F findings`. */
function parseSecrets(stdout: string): Figure[] {
  const figures: Figure[] = [];
  const re = /^(.+?): [\d.]+ MB in \d+ files, wall [\d.]+ s = (\d+) MB\/s, cpu [\d.]+ s = (\d+) MB\/s/gm;
  for (const m of stdout.matchAll(re)) {
    const label = (m[1] as string).replace(/\W+/g, '-');
    const wall = Number(m[2]);
    figures.push(
      { metric: `scan.${label}.throughput`, value: wall, unit: 'MB/s', target: 50, met: wall >= 50 },
      { metric: `scan.${label}.cpu-throughput`, value: Number(m[3]), unit: 'MB/s' },
    );
  }
  return figures;
}

const SCRIPTS: Script[] = [
  {
    name: 'validate',
    file: 'validate.js',
    args: quick ? ['--small'] : [],
    what: '`skill-sync validate --json` on generated repos vs `tar czf` of the same tree (issue 2)',
  },
  {
    name: 'pack',
    file: 'pack.js',
    args: quick ? ['3'] : [],
    what: "`skill-sync pack` (validate, scan, bundle) of a tree shaped like the user's repo (64 skills, ~21 MB, mostly incompressible media) vs `tar czf` of the same folder (issue 15: ≤ 1.3×)",
  },
  {
    name: 'action',
    file: 'action.js',
    args: quick ? ['130'] : [],
    what: 'the built Action (`dist/index.js`, dry-run: validate + scan + pack + sign) vs `tar czf` (issue 3); `node -e 0` shows what the runtime alone costs',
  },
  {
    name: 'secrets',
    file: 'secrets.js',
    args: quick ? ['10'] : [],
    what: 'secret-scanner throughput on skill-sized Markdown and code (issue 2: scan ≥ 50 MB/s)',
    parse: parseSecrets,
  },
  {
    name: 'receiver',
    file: 'receiver.js',
    args: quick ? ['--quick'] : [],
    what: 'push-to-live of a 130-skill bundle through a real receiver vs `cp -r` + `sync`; 50 MB ingest RSS (issue 4)',
  },
  {
    name: 'load',
    file: 'load.js',
    args: quick ? ['--quick'] : [],
    what: 'bad-signature POST storm vs `/health` and RSS; sequential deploys vs leaked files and fds (issue 8)',
  },
  {
    name: 'gateway',
    file: 'gateway.js',
    args: quick ? ['--quick'] : [],
    what: "receiver 201 → the real OpenClaw gateway's `skills.status` shows the new 64-skill set, vs the gateway's watcher floor (issue 17)",
  },
];

interface Outcome {
  script: Script;
  code: number | null;
  signal: string | null;
  seconds: number;
  figures: Figure[];
  /** Figures came from BENCH_JSON, from parsed output, or not at all. */
  source: 'json' | 'parsed' | 'none';
  stdout: string;
  stderrTail: string;
}

async function run(script: Script, dir: string): Promise<Outcome> {
  const json = path.join(dir, `${script.name}.json`);
  const file = path.join(REPO, 'lib', 'bench', script.file);
  const started = performance.now();
  process.stderr.write(`\n== bench ${script.name}: node lib/bench/${script.file} ${script.args.join(' ')}\n`);
  if (!existsSync(file)) {
    return {
      script,
      code: null,
      signal: null,
      seconds: 0,
      figures: [],
      source: 'none',
      stdout: '',
      stderrTail: `missing ${file} (run npm run build)`,
    };
  }
  const child = spawn(process.execPath, [file, ...script.args], {
    cwd: REPO,
    env: { ...process.env, BENCH_JSON: json },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    process.stdout.write(d);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
    process.stderr.write(d);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      resolve([null, null]);
    });
    child.on('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  let figures: Figure[] = [];
  let source: Outcome['source'] = 'none';
  try {
    figures = (JSON.parse(await readFile(json, 'utf8')) as { figures: Figure[] }).figures;
    source = 'json';
  } catch {
    if (script.parse) {
      figures = script.parse(stdout);
      if (figures.length) source = 'parsed';
    }
  }
  return {
    script,
    code,
    signal,
    seconds: (performance.now() - started) / 1000,
    figures,
    source,
    stdout,
    stderrTail: stderr,
  };
}

/** A script failed when it crashed, or exited non-zero without a missed figure to explain it. */
function failed(o: Outcome): boolean {
  if (o.code === 0) return false;
  return o.code === null || o.figures.length === 0 || !o.figures.some((f) => f.met === false);
}

/** How the target reads: throughputs are floors, the Action's target is on the ratio, the rest are ceilings. */
function targetText(f: Figure): string {
  if (f.target === undefined) return '—';
  if (/^action_wall|^pack-\d+\.wall/.test(f.metric)) return `ratio ≤ ${f.target}×`;
  if (/\/s$/.test(f.unit) || /\.vs-tar$/.test(f.metric)) return `≥ ${f.target} ${f.unit}`;
  return `≤ ${f.target} ${f.unit}`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(figures: Figure[]): string[] {
  const lines = [
    '| metric | value | baseline (same run) | ratio | target | result |',
    '|---|---:|---:|---:|---|---|',
  ];
  for (const f of figures) {
    const result = f.met === undefined ? 'info' : f.met ? 'met' : '**MISSED**';
    lines.push(
      `| ${cell(f.metric)} | ${f.value} ${cell(f.unit)} | ${f.baseline !== undefined ? `${f.baseline} ${cell(f.unit)}` : '—'} | ` +
        `${f.ratio !== undefined ? `${f.ratio}×` : '—'} | ${cell(targetText(f))} | ${result} |`,
    );
  }
  return lines;
}

function machine(): string[] {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO, encoding: 'utf8' }).trim();
    if (dirty) commit += ' (plus uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return [
    `- CPU: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'}`,
    `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node: ${process.version}`,
    `- Load average at start (1/5/15 min): ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
    `- Commit: ${commit}`,
  ];
}

const dir = await tempDir('skill-sync-bench-all-');
const startedAt = new Date();
const header = machine();
const outcomes: Outcome[] = [];
try {
  for (const s of SCRIPTS) outcomes.push(await run(s, dir));
} finally {
  await rm(dir, { recursive: true, force: true });
}

const all = outcomes.flatMap((o) => o.figures);
const targeted = all.filter((f) => f.met !== undefined);
const missed = targeted.filter((f) => f.met === false);
const broken = outcomes.filter(failed);
const md: string[] = [
  '# Benchmark results',
  '',
  `Generated by \`npm run bench\`${quick ? ' (`--quick`: reduced sizes, not the reference run)' : ''} on ` +
    `${startedAt.toISOString()}, in ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min. ` +
    'Every baseline was measured in the same run on the same machine. Do not edit by hand: re-run the bench.',
  '',
  '## Machine',
  '',
  ...header,
  '',
  '## Summary',
  '',
  `- ${targeted.length} targeted figures: ${targeted.length - missed.length} met, ${missed.length} missed.`,
  ...missed.map((f) => `  - missed: \`${f.metric}\` = ${f.value} ${f.unit} (target ${targetText(f)})`),
  `- Scripts: ${outcomes.length - broken.length} of ${outcomes.length} ran to completion.` +
    (broken.length ? ` Failed: ${broken.map((o) => o.script.name).join(', ')}.` : ''),
  '',
];
for (const o of outcomes) {
  const status = failed(o)
    ? `**failed** (${o.signal ? `signal ${o.signal}` : `exit ${o.code}`})`
    : o.code === 0
      ? 'ok'
      : `exit ${o.code} (a target was missed)`;
  md.push(
    `## ${o.script.name}`,
    '',
    `${o.script.what}.  `,
    `\`node lib/bench/${o.script.file}${o.script.args.length ? ' ' + o.script.args.join(' ') : ''}\`: ` +
      `${status}, ${o.seconds.toFixed(0)} s` +
      (o.source === 'parsed' ? '; figures parsed from its printed lines (it writes no BENCH_JSON)' : '') +
      '.',
    '',
  );
  if (o.figures.length) md.push(...table(o.figures), '');
  // The detail lines only: each script's closing figure lines are already in the table.
  const names = new Set(o.figures.map((f) => f.metric));
  const printed = o.stdout
    .split('\n')
    .filter((l) => !names.has(l.split(':')[0] ?? ''))
    .join('\n')
    .trim();
  if (printed) md.push('Printed:', '', '```text', ...printed.split('\n').slice(-40), '```', '');
  if (failed(o) && o.stderrTail.trim())
    md.push('Error output (tail):', '', '```text', ...o.stderrTail.trim().split('\n').slice(-30), '```', '');
}
await writeFile(OUT, md.join('\n'));
process.stderr.write(
  `\nwrote ${path.relative(REPO, OUT)}: ${targeted.length - missed.length}/${targeted.length} targets met` +
    `${broken.length ? `, failed scripts: ${broken.map((o) => o.script.name).join(', ')}` : ''}\n`,
);
if (missed.length || broken.length) process.exitCode = 1;
