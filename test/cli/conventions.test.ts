// CLI conventions as a user meets them: --version, help, did-you-mean, exit codes, JSON errors, --quiet, colour.
import { readFile, readdir, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_ARGS } from '../../cli/args.js';
import { spawnSync } from 'node:child_process';
import { BIN, cli, REPO } from './run.js';

const COMMANDS = (await readdir(path.join(REPO, 'cli/commands')))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-conventions-'));
  await mkdir(path.join(work, 'skills/good'), { recursive: true });
  await writeFile(path.join(work, 'skills/good/SKILL.md'), '---\ndescription: Fine.\n---\n');
  await mkdir(path.join(work, 'skills/bad'), { recursive: true });
  // An error (no description) and a warning (a value only the gateway's fallback parser reads).
  await writeFile(path.join(work, 'skills/bad/SKILL.md'), '---\nname: bad\n---\n');
  await mkdir(path.join(work, 'skills/warn'), { recursive: true });
  await writeFile(path.join(work, 'skills/warn/SKILL.md'), '---\ndescription: Use this: when\n---\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('skill-sync --version and help', () => {
  it('--version, -V and `version` print the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = await cli(args);
      expect(r, args[0]).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('`help <command>` equals `<command> --help`, and every help lists each option and the exit codes', async () => {
    expect(COMMANDS).toContain('validate');
    for (const name of COMMANDS) {
      const viaHelp = await cli(['help', name]);
      const viaFlag = await cli([name, '--help']);
      expect(viaHelp.code, name).toBe(0);
      expect(viaFlag, name).toMatchObject({ code: 0, stdout: viaHelp.stdout });
      expect(viaHelp.stdout, name).toMatch(/^usage: skill-sync /);
      expect(viaHelp.stdout, name).toMatch(/^exit: 0 .*2 .*(usage|config|configuration)/m);
      // Every option the command declares to the parser is documented (read from its source).
      const source = await readFile(path.join(REPO, 'cli/commands', `${name}.ts`), 'utf8');
      const declared = [...source.matchAll(/'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)'/g)].map(
        (m) => m[1] as string,
      );
      if (source.includes('...CHECK_ARGS')) declared.push(...Object.keys(CHECK_ARGS));
      expect(declared.length, name).toBeGreaterThan(0);
      for (const opt of declared) expect(viaHelp.stdout, `${name} --${opt}`).toContain(`--${opt}`);
      for (const global of ['--quiet', '--no-color', '--help'])
        expect(viaHelp.stdout, `${name} ${global}`).toContain(global);
    }
  });

  it('`help` alone exits 0; no command at all is a usage error on stderr', async () => {
    const help = await cli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--version');
    const none = await cli([]);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('usage: skill-sync <command>');
  });
});

describe('did you mean', () => {
  it('suggests the command, the option and the subcommand a typo was close to, and exits 2', async () => {
    const cmd = await cli(['valdate', 'skills']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain("unknown command 'valdate' (did you mean 'validate'?)");
    const help = await cli(['help', 'rollbak']);
    expect(help.code).toBe(2);
    expect(help.stderr).toContain("(did you mean 'rollback'?)");
    const opt = await cli(['validate', 'skills', '--jsn'], { cwd: work });
    expect(opt.code).toBe(2);
    expect(opt.stderr).toBe("skill-sync validate: unknown option '--jsn' (did you mean '--json'?)\n");
    const prefix = await cli(['validate', 'skills', '--max-file=10'], { cwd: work });
    expect(prefix.stderr).toContain("(did you mean '--max-file-size'?)");
    const sub = await cli(['state', 'lst', '--db', path.join(work, 'none.db')]);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain("unknown subcommand 'lst' (did you mean 'list'?)");
    // Nothing close: no guess.
    const far = await cli(['xyzzy']);
    expect(far.stderr).toContain("unknown command 'xyzzy'\n");
  });
});

describe('exit codes and errors', () => {
  it('a missing input file or folder is a usage error (2) with one line, for sign, verify, publish and pack', async () => {
    const key = path.join(work, 'hmac.key');
    await writeFile(key, 'k'.repeat(40));
    const runs = [
      await cli(['sign', '--bundle', 'missing.tar.gz', '--key', key], { cwd: work }),
      await cli(
        ['verify', '--bundle', 'missing.tar.gz', '--envelope', 'missing.json', '--hmac-secret-env', 'S'],
        { cwd: work, env: { S: 'k'.repeat(40) } },
      ),
      await cli(['publish', 'skills', '--dry-run', '--key', 'missing.key'], { cwd: work }),
      await cli(['pack', 'skills/good', '--out', 'missing.dir/b.tgz'], { cwd: work }),
    ];
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^skill-sync \w+: \S*missing\.\S+: no such file or folder\n$/);
    }
    const noFolder = await cli(['publish', 'missing.skills', '--dry-run', '--key-env', 'K'], {
      cwd: work,
      env: { K: 'k'.repeat(40) },
    });
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toMatch(/^skill-sync publish: skills folder not found: \S*missing\.skills\n$/);
  });

  it('the receiver on a port already in use exits 2 with one line, no stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dataDir = path.join(work, 'data');
      await mkdir(dataDir, { recursive: true });
      const r = await cli(['receiver', '--insecure-dev'], {
        env: { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'error' },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`PORT: ${port} is already in use on 127.0.0.1`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      blocker.close();
    }
  });

  it('with --json, errors are JSON on stdout with the exit code', async () => {
    const r = await cli(['validate', 'skills', '--json', '--bogus'], { cwd: work });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      v: 1,
      ok: false,
      error: { code: 'usage', exit: 2, message: "unknown option '--bogus'" },
    });
    const missing = await cli(['sign', '--bundle', 'nope.tgz', '--key-env', 'K', '--json'], {
      cwd: work,
      env: { K: 'k'.repeat(40) },
    });
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'usage', exit: 2 } });
    // Refusals a command reports itself are JSON too.
    const unset = await cli(['state', 'get', 'nope', '--json', '--db', path.join(work, 'none.db')]);
    expect(unset.code).toBe(1);
    expect(JSON.parse(unset.stdout)).toEqual({
      v: 1,
      ok: false,
      error: { code: 'not-found', exit: 1, message: "state/not-found: key 'nope' is not set" },
    });
    const refused = await cli(['pack', 'skills', '--json', '--out', path.join(work, 'b.tgz')], { cwd: work });
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, error: { code: 'refused', exit: 1 } });
  });
});

describe('--quiet and colour', () => {
  it('--quiet prints nothing for valid skills and only the errors otherwise', async () => {
    const ok = await cli(['validate', 'skills/good', '-q'], { cwd: work });
    expect(ok).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const loud = await cli(['validate', 'skills'], { cwd: work });
    expect(loud.stdout).toContain('warning frontmatter/repaired');
    const quiet = await cli(['validate', 'skills', '--quiet'], { cwd: work });
    expect(quiet.code).toBe(1);
    expect(quiet.stdout).toContain('bad/SKILL.md:1:1 error frontmatter/required');
    expect(quiet.stdout).not.toContain('warning');
    expect(quiet.stdout).not.toContain('skill(s)');
  });

  it('colour only when forced or on a terminal; NO_COLOR and --no-color always win', async () => {
    const esc = '\u001b[';
    const plain = await cli(['validate', 'skills'], { cwd: work });
    expect(plain.stdout).not.toContain(esc);
    const forced = await cli(['validate', 'skills'], { cwd: work, env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toContain(`${esc}31merror${esc}39m`);
    expect(forced.stdout).toContain(`${esc}33mwarning${esc}39m`);
    const noColor = await cli(['validate', 'skills'], {
      cwd: work,
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(noColor.stdout).not.toContain(esc);
    expect(noColor.stdout).toBe(plain.stdout);
    const flag = await cli(['validate', 'skills', '--no-color'], { cwd: work, env: { FORCE_COLOR: '1' } });
    expect(flag.stdout).toBe(plain.stdout);
    // JSON never carries colour.
    const jsonForced = await cli(['validate', 'skills', '--json'], { cwd: work, env: { FORCE_COLOR: '1' } });
    expect(jsonForced.stdout).not.toContain(esc);
  });

  // util-linux `script` gives the CLI a real terminal (a pty), as an interactive shell would.
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)('colour on a terminal by default, none with NO_COLOR', () => {
    const onTty = (extra: Record<string, string>) => {
      const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', ...extra };
      if (!extra.NO_COLOR) delete env.NO_COLOR;
      delete env.FORCE_COLOR;
      // A user's terminal, not CI's: with CI set, Node's hasColors() reports 2 colours (CI runs set CI=true).
      delete env.CI;
      return spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" validate skills`, '/dev/null'], {
        cwd: work,
        encoding: 'utf8',
        env,
      });
    };
    const tty = onTty({});
    expect(tty.stdout).toContain('\u001b[31merror\u001b[39m');
    const noColor = onTty({ NO_COLOR: '1' });
    expect(noColor.stdout).toContain(' error frontmatter/required');
    expect(noColor.stdout).not.toContain('\u001b[');
  });
});
