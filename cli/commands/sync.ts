// `skill-sync sync list|validate|generate`: find SYNC.json manifests in the live skills and run their generators.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { EXIT, GLOBAL_HELP, parse, printJson, UsageError, unknownSubcommand } from '../args.js';
import { sortFindings, type Finding } from '../../core/findings.js';
import { stateDbFiles, stateDbPath } from '../../core/state/location.js';
import { discoverSkills, skillsDirs, type SyncSkill } from '../../core/sync/discover.js';
import { DEFAULT_TIMEOUT_MS, runGenerator, type GenerateResult } from '../../core/sync/generate.js';
import { validateSyncManifest, type SyncManifest } from '../../core/sync/sync-manifest.js';
import { protectedPaths } from '../../core/sync/confine.js';

export const HELP = `usage: skill-sync sync <subcommand> [options]
  list [--skills-dir DIR]... [--json]                          skills with a SYNC.json
  validate [--skill NAME] [--data-root DIR] [--json]            check manifests (all when no --skill)
  generate (--skill NAME | --all) [--timeout-ms N] [--db PATH] [--data-root DIR] [--json]

options:
  --skills-dir DIR   also search DIR for skills; repeatable (always searched: $SKILLS_DIR, default /data/skills)
  --skill NAME       the one skill to validate or generate
  --all              generate: every skill with a SYNC.json
  --data-root DIR    root output files must stay under (default $DATA_DIR, else /data)
  --timeout-ms N     generate: per-generator time limit
  --db PATH          generate: the state database (default $STATE_DB, else /data/skill-sync/state.db)
  --json             print results as JSON
${GLOBAL_HELP}

exit: 0 ok, 1 an invalid manifest or a failed generator, 2 usage error`;

const SUBCOMMANDS = ['list', 'validate', 'generate'];

interface Checked {
  skill: SyncSkill;
  /** SYNC.json path relative to its skills directory: how findings name it. */
  file: string;
  manifest?: SyncManifest;
  findings: Finding[];
}

function check(skill: SyncSkill, dataRoot: string, guarded: readonly string[]): Checked {
  const syncFile = skill.syncFile as string;
  const file = path.relative(skill.root, syncFile).split(path.sep).join('/');
  let text: string;
  try {
    text = readFileSync(syncFile, 'utf8');
  } catch (err) {
    const finding: Finding = {
      severity: 'error',
      rule: 'sync/unreadable',
      file,
      line: 0,
      column: 0,
      message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    };
    return { skill, file, findings: [finding] };
  }
  const { manifest, findings } = validateSyncManifest(text, {
    file,
    skillDir: skill.dir,
    dataRoot,
    protectedPaths: guarded,
  });
  return { skill, file, findings, ...(manifest ? { manifest } : {}) };
}

/** Lenient read for `sync list`, which shows even broken manifests (marked invalid) so users can find them. */
function rawField(syncFile: string, field: string): string | undefined {
  try {
    const v = (JSON.parse(readFileSync(syncFile, 'utf8')) as Record<string, unknown>)[field];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule} ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`;
}

/** The command that re-runs this CLI, so generators calling `skill-sync` get the same build and node. */
function selfCommand(): string[] | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  try {
    return [process.execPath, realpathSync(script)];
  } catch {
    return undefined;
  }
}

function pick(skills: SyncSkill[], name: string): SyncSkill {
  const matches = skills.filter((s) => s.name === name);
  if (matches.length === 0)
    throw new Error(`sync/skill-not-found: no skill named '${name}' in the skills directories`);
  if (matches.length > 1)
    throw new Error(`sync/skill-ambiguous: '${name}' is in ${matches.map((s) => s.dir).join(' and ')}`);
  const skill = matches[0] as SyncSkill;
  if (!skill.syncFile) throw new Error(`sync/no-manifest: skill '${name}' (${skill.dir}) has no SYNC.json`);
  return skill;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    (sub ? process.stdout : process.stderr).write(HELP + '\n');
    return sub ? EXIT.ok : EXIT.usage;
  }
  const { values } = parse(
    rest,
    {
      'skills-dir': { type: 'string', multiple: true },
      skill: { type: 'string' },
      all: { type: 'boolean', default: false },
      'data-root': { type: 'string' },
      'timeout-ms': { type: 'string' },
      db: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const dirs = skillsDirs(values['skills-dir'] ?? []);
  const skills = discoverSkills(dirs);
  const withSync = skills.filter((s) => s.syncFile);
  const dataRoot = path.resolve(values['data-root'] ?? (process.env.DATA_DIR?.trim() || '/data'));
  // The engine's folder under $DATA_DIR (when --data-root names another view of the volume), the skills
  // folders and the state database (with SQLite's side files) are out of bounds for generator output too (docs/security.md).
  const dataDir = process.env.DATA_DIR?.trim();
  const stateDbFile = path.resolve(values.db ?? stateDbPath());
  const guarded = protectedPaths(dataRoot, [
    dataDir ? path.join(path.resolve(dataDir), 'skill-sync') : undefined,
    ...dirs,
    ...stateDbFiles(stateDbFile),
  ]);

  switch (sub) {
    case 'list': {
      const rows = withSync.map((s) => {
        const c = check(s, dataRoot, guarded);
        return {
          name: s.name,
          path: s.dir,
          outputFile: c.manifest?.outputFile ?? rawField(s.syncFile as string, 'outputFile') ?? null,
          description: c.manifest?.description ?? rawField(s.syncFile as string, 'description') ?? null,
          valid: c.manifest !== undefined,
        };
      });
      if (values.json) printJson({ skills: rows });
      else if (rows.length === 0) process.stdout.write('no skills with a SYNC.json\n');
      else
        for (const r of rows)
          process.stdout.write(
            `${r.name}\t${r.outputFile ?? '?'}\t${r.description ?? ''}${r.valid ? '' : '\t(invalid: run sync validate)'}\n`,
          );
      return EXIT.ok;
    }
    case 'validate': {
      const targets = values.skill ? [pick(skills, values.skill)] : withSync;
      const results = targets.map((s) => check(s, dataRoot, guarded));
      const findings = sortFindings(results.flatMap((r) => r.findings));
      if (values.json)
        printJson({
          skills: results.map((r) => ({
            name: r.skill.name,
            path: r.skill.dir,
            file: r.file,
            valid: r.manifest !== undefined,
          })),
          findings,
        });
      else {
        for (const f of findings) process.stdout.write(formatFinding(f) + '\n');
        for (const r of results) if (r.manifest) process.stdout.write(`ok ${r.skill.name}: ${r.file}\n`);
      }
      return results.every((r) => r.manifest) ? EXIT.ok : EXIT.findings;
    }
    case 'generate': {
      if (Boolean(values.skill) === values.all)
        throw new UsageError('sync generate: give exactly one of --skill NAME or --all');
      const timeoutMs =
        values['timeout-ms'] === undefined ? DEFAULT_TIMEOUT_MS : Number(values['timeout-ms']);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new UsageError(`--timeout-ms must be a positive integer, got '${values['timeout-ms']}'`);
      const stateDb = stateDbFile;
      const targets = values.skill ? [pick(skills, values.skill)] : withSync;
      const skipped = values.all ? skills.filter((s) => !s.syncFile).map((s) => s.name) : [];
      const results: (GenerateResult & { name: string; findings?: Finding[] })[] = [];
      for (const skill of targets) {
        const c = check(skill, dataRoot, guarded);
        if (!c.manifest) {
          const first = c.findings[0];
          results.push({
            name: skill.name,
            ok: false,
            outputFile: rawField(skill.syncFile as string, 'outputFile') ?? '',
            code: first?.rule ?? 'sync/invalid',
            error: c.findings
              .map((f) => `${f.file}:${f.line}:${f.column} ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`)
              .join('; '),
            findings: c.findings,
          });
          continue;
        }
        const self = selfCommand();
        const r = await runGenerator({
          skillDir: skill.dir,
          manifest: c.manifest,
          stateDb,
          timeoutMs,
          confine: { dataRoot, protectedPaths: guarded },
          ...(self ? { selfCommand: self } : {}),
        });
        results.push({ name: skill.name, ...r });
      }
      const ok = results.every((r) => r.ok);
      if (values.json) printJson({ ok, results, skipped });
      else {
        for (const r of results) {
          if (r.ok) process.stdout.write(`ok      ${r.name} -> ${r.outputFile} (${r.bytes} bytes)\n`);
          else {
            process.stdout.write(`failed  ${r.name}: ${r.code}: ${r.error}\n`);
            if (r.stderr) process.stdout.write(r.stderr.slice(-2000).replace(/^/gm, '  | ') + '\n');
          }
        }
        for (const name of skipped) process.stdout.write(`skipped ${name} (no SYNC.json)\n`);
        if (results.length === 0) process.stdout.write('no skills with a SYNC.json\n');
      }
      return ok ? EXIT.ok : EXIT.findings;
    }
    default:
      throw new UsageError(unknownSubcommand(sub, SUBCOMMANDS, 'sync'));
  }
}
