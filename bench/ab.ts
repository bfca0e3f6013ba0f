// Interleaved A/B of shell commands: round after round, each command once, then medians of wall and CPU time.
// Run: node lib/bench/ab.js ROUNDS 'old=node /tmp/old/bin/skill-sync.js validate --json T' 'new=…' 'tar=tar czf x.tgz -C T .'
import { spawnSync } from 'node:child_process';

interface Variant {
  label: string;
  cmd: string;
  wall: number[];
  cpu: number[];
}

const rounds = Number(process.argv[2]);
const variants: Variant[] = process.argv.slice(3).map((arg) => {
  const eq = arg.indexOf('=');
  return { label: arg.slice(0, eq), cmd: arg.slice(eq + 1), wall: [], cpu: [] };
});
if (!(rounds > 0) || variants.length === 0 || variants.some((v) => !v.label || !v.cmd)) {
  process.stderr.write("usage: node lib/bench/ab.js ROUNDS 'label=command' ...\n");
  process.exit(2);
}

// Alternating, so a change in the machine's load hits every variant alike.
for (let r = 0; r < rounds; r++) {
  for (const v of variants) {
    const started = performance.now();
    // GNU time's user and system seconds of the command and its children.
    const run = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sh', '-c', `${v.cmd} >/dev/null`], {
      encoding: 'utf8',
    });
    v.wall.push(performance.now() - started);
    const [user, sys] = (run.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    if (run.status !== 0 && run.status !== 1)
      throw new Error(`${v.label} exited ${run.status}: ${run.stderr}`);
    v.cpu.push(((user ?? NaN) + (sys ?? NaN)) * 1000);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const v of variants) {
  process.stdout.write(
    `${v.label.padEnd(12)} wall median ${median(v.wall).toFixed(0)} ms (min ${Math.min(...v.wall).toFixed(0)})` +
      `  cpu median ${median(v.cpu).toFixed(0)} ms (min ${Math.min(...v.cpu).toFixed(0)})\n`,
  );
}
