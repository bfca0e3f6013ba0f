// Validate benchmark: `skill-sync validate --json` on synthetic repos (10,000 skills / ~200 MB; 130 / ~30 MB) vs `tar czf`.
// Run: npx tsc -p tsconfig.build.json && node lib/bench/validate.js [--small] [--keep]   (BENCH_JSON=out.json writes figures)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './support.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO, 'bin', 'skill-sync.js');
const MB = 1_000_000;
const SPEEDUP_TARGET = 5;

interface Figure {
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target: number;
  met: boolean;
}

const WORDS = (
  'the skill reads input checks each field against the schema and writes a short report when a step fails it ' +
  'stops and says which value was wrong use references for details run the script with the path of the file ' +
  'config output table summary request response retry timeout header body token budget cache index query page ' +
  'user agent tool result error warning source link date version release branch commit review test build deploy'
).split(' ');
const CODE = [
  'if [ -z "${INPUT:-}" ]; then echo "missing input" >&2; exit 2; fi',
  'for f in "$@"; do wc -l "$f"; done',
  'def parse(line: str) -> dict:\n    key, _, value = line.partition("=")\n    return {key.strip(): value.strip()}',
  'curl -fsS "$API_URL/v1/items?page=$PAGE" | jq -r ".items[].name"',
  '| field | type | meaning |\n|---|---|---|\n| name | string | the item name |',
];

/** A pool of realistic text; files are slices of it, so generation is fast and gzip sees prose-like data. */
function textPool(bytes: number, rand: () => number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = '';
    if (rand() < 0.15) line = CODE[Math.floor(rand() * CODE.length)] as string;
    else {
      const n = 6 + Math.floor(rand() * 14);
      const words: string[] = [];
      for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)] as string);
      line = words.join(' ') + '.';
      if (rand() < 0.1) line = `## ${words.slice(0, 3).join(' ')}`;
    }
    parts.push(line);
    size += line.length + 1;
  }
  return parts.join('\n') + '\n';
}

interface Layout {
  skills: number;
  /** [relative path, approximate bytes, executable] per skill. */
  files: [string, number, boolean][];
}

const LARGE: Layout = {
  skills: 10_000,
  files: [
    ['scripts/run.sh', 1_500, true],
    ['scripts/helper.py', 3_000, false],
    ['references/guide.md', 8_500, false],
    ['references/api.md', 5_000, false],
  ],
};
const SMALL: Layout = {
  skills: 130,
  files: [
    ['scripts/run.sh', 2_000, true],
    ['references/guide.md', 120_000, false],
    ['references/data.md', 105_000, false],
  ],
};

async function generate(root: string, layout: Layout): Promise<number> {
  const rand = prng(42);
  const pool = textPool(4 * MB, rand);
  const slice = (n: number) => {
    const start = Math.floor(rand() * (pool.length - n - 1));
    return pool.slice(start, start + n);
  };
  let total = 0;
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < layout.skills; i++) {
    const name = `skill-${String(i).padStart(5, '0')}`;
    const dir = path.join(root, 'skills', `group-${String(Math.floor(i / 100)).padStart(3, '0')}`, name);
    const md =
      `---\nname: ${name}\ndescription: "Handles task ${i}: reads the inputs, runs the script and reports."\n` +
      `version: "1.${i % 10}.0"\n---\n\n# ${name}\n\n${slice(2_200)}`;
    const files: [string, string, boolean][] = [['SKILL.md', md, false]];
    for (const [rel, size, exec] of layout.files) {
      const jitter = Math.floor(size * (0.8 + rand() * 0.4));
      const head = exec ? `#!/bin/sh\n# ${name}\n` : `# ${name}: ${rel}\n\n`;
      files.push([rel, head + slice(jitter), exec]);
    }
    for (const [, content] of files) total += Buffer.byteLength(content);
    jobs.push(async () => {
      await mkdir(path.join(dir, 'scripts'), { recursive: true });
      await mkdir(path.join(dir, 'references'), { recursive: true });
      for (const [rel, content, exec] of files)
        await writeFile(path.join(dir, rel), content, { mode: exec ? 0o755 : 0o644 });
    });
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < jobs.length) await (jobs[next++] as () => Promise<void>)();
    }),
  );
  return total;
}

interface Measured {
  wallS: number;
  peakRssMb: number;
  code: number;
  stdout: string;
}

/** Runs a command, polling /proc/<pid>/status VmHWM (peak RSS) until it exits. */
function measure(cmd: string, args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    let peakKb = 0;
    const poll = async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        if (kb > peakKb) peakKb = kb;
      } catch {
        // the process has exited; the last reading stands (VmHWM only grows)
      }
    };
    const timer = setInterval(() => void poll(), 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({
        wallS: (performance.now() - started) / 1000,
        peakRssMb: peakKb / 1024,
        code: code ?? -1,
        stdout: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function runCase(
  label: string,
  layout: Layout,
  runs: number,
): Promise<{ figures: Figure[]; rows: string[][] }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `skill-sync-bench-${label}-`));
  try {
    process.stderr.write(`generating ${layout.skills} skills in ${root} …\n`);
    const bytes = await generate(root, layout);
    const mb = bytes / MB;
    const tgz = path.join(root, '..', `${path.basename(root)}.tgz`);
    const walls: number[] = [];
    const rss: number[] = [];
    const tars: number[] = [];
    for (let i = 0; i < runs; i++) {
      const v = await measure(process.execPath, [BIN, 'validate', '--json', root]);
      const out = JSON.parse(v.stdout) as { skills: unknown[]; findings: unknown[] };
      if (v.code !== 0 || out.skills.length !== layout.skills) {
        throw new Error(
          `validate run is not clean: exit ${v.code}, ${out.skills.length} skills, ${out.findings.length} findings`,
        );
      }
      walls.push(v.wallS);
      rss.push(v.peakRssMb);
      const t = await measure('tar', ['czf', tgz, '-C', root, '.']);
      if (t.code !== 0) throw new Error(`tar czf failed with exit ${t.code}`);
      tars.push(t.wallS);
    }
    await rm(tgz, { force: true });
    const wall = median(walls);
    const tar = median(tars);
    const peak = Math.max(...rss);
    const mbps = mb / wall;
    const tarMbps = mb / tar;
    // Issue 15: validate must take at most a fifth of `tar czf`'s wall time on the same tree.
    const speedup = tar / wall;
    const large = layout.skills >= 10_000;
    const wallTarget = large ? 15 : 1;
    const figures: Figure[] = [
      {
        metric: `${label}.wall`,
        value: round(wall),
        unit: 's',
        baseline: round(tar),
        ratio: round(wall / tar),
        target: wallTarget,
        met: wall <= wallTarget,
      },
      {
        metric: `${label}.throughput`,
        value: round(mbps),
        unit: 'MB/s',
        baseline: round(tarMbps),
        ratio: round(mbps / tarMbps),
        target: 50,
        met: mbps >= 50,
      },
      // A floor: how many times faster than `tar czf` (its time is the wall figure's baseline).
      {
        metric: `${label}.vs-tar`,
        value: round(speedup),
        unit: '×',
        target: SPEEDUP_TARGET,
        met: speedup >= SPEEDUP_TARGET,
      },
      { metric: `${label}.peak-rss`, value: round(peak), unit: 'MB', target: 300, met: peak <= 300 },
    ];
    const rows = [
      [`${label}: ${layout.skills} skills, ${mb.toFixed(1)} MB`, '', '', '', ''],
      [
        '  wall (validate --json)',
        `${wall.toFixed(2)} s`,
        `tar czf ${tar.toFixed(2)} s`,
        `≤ ${wallTarget} s`,
        mark(wall <= wallTarget),
      ],
      [
        '  throughput',
        `${mbps.toFixed(0)} MB/s`,
        `tar czf ${tarMbps.toFixed(0)} MB/s`,
        '≥ 50 MB/s',
        mark(mbps >= 50),
      ],
      [
        '  speed vs tar czf',
        `${speedup.toFixed(1)}×`,
        `tar czf ${tar.toFixed(2)} s`,
        `≥ ${SPEEDUP_TARGET}×`,
        mark(speedup >= SPEEDUP_TARGET),
      ],
      ['  peak RSS', `${peak.toFixed(0)} MB`, '', '≤ 300 MB', mark(peak <= 300)],
    ];
    return { figures, rows };
  } finally {
    // --keep leaves the tree for A/B runs of two builds (bench/ab.ts).
    if (keep) process.stderr.write(`kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
const mark = (ok: boolean) => (ok ? 'met' : 'MISSED');

if (!existsSync(BIN)) throw new Error(`missing ${BIN}`);
const small = process.argv.includes('--small');
const keep = process.argv.includes('--keep');
const figures: Figure[] = [];
const rows: string[][] = [['case', 'value', 'baseline', 'target', '']];
const cases: [string, Layout, number][] = [['validate-130', SMALL, 3]];
if (!small) cases.push(['validate-10k', LARGE, Number(process.env.BENCH_RUNS ?? 1)]);
for (const [label, layout, runs] of cases) {
  const r = await runCase(label, layout, runs);
  figures.push(...r.figures);
  rows.push(...r.rows);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
for (const r of rows)
  process.stdout.write(
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd() + '\n',
  );
process.stdout.write(
  `(${os.cpus().length} CPUs, page cache warm: the tree was just written; tar czf is the baseline)\n`,
);
if (process.env.BENCH_JSON) {
  await writeFile(process.env.BENCH_JSON, JSON.stringify({ name: 'validate', figures }, null, 2) + '\n');
}
if (figures.some((f) => !f.met)) process.exitCode = 1;
