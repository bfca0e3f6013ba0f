// A fixture repo shaped like real skill repos: nested skills/ plus root copies, `: ` descriptions, CRLF, junk.
import { makeTree, skillMd, type TreeEntry } from './tree.js';

/** A fake AWS key id, assembled so this source file holds no secret-looking literal. */
export const FAKE_AWS_KEY = ['AKIA', 'Q3EGRT7LMNPZ5W4X'].join('');

/** ~70 KB of realistic Markdown: long skills exist (OpenClaw's limit is 256,000 bytes). */
function bigSkill(): string {
  const section = (i: number) =>
    `## Step ${i}\n\nCollect the inputs for step ${i}, check them against the schema, and write the result to the ` +
    `scratch file. If the check fails, report which field failed and stop.\n\n- item one\n- item two\n\n`;
  let body =
    '---\nname: big-handbook\ndescription: "A long operating handbook: every step, in order."\n---\n\n';
  for (let i = 1; body.length < 70_000; i++) body += section(i);
  return body;
}

export const FIXTURE_FILES: Record<string, TreeEntry> = {
  '.gitignore': '*.zip\n*.log\ntmp/\n',
  '.skillsyncignore': 'drafts/\nfingerprint:0123456789abcdef\n',
  // Root copy and nested copy of the same skill: the classic duplicate.
  'web-search/SKILL.md': skillMd('web-search'),
  'skills/web-search/SKILL.md': skillMd('web-search'),
  'skills/web-search/references/engines.md': '# Engines\n\nPrefer primary sources.\n',
  'web-search.zip': Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]),
  // Not YAML, but the gateway repairs a description line: a warning, still valid.
  'skills/summarize/SKILL.md':
    '---\nname: summarize\ndescription: Use this: when the user pastes a long text\n---\n\n# Summarize\n',
  'skills/summarize/scripts/run.py': { content: '#!/usr/bin/env python3\nprint("ok")\n', mode: 0o755 },
  'skills/summarize/scripts/__pycache__/run.cpython-312.pyc': Buffer.from([0x00, 0x0d, 0x0d, 0x0a]),
  'skills/summarize/debug.log': 'noise\n',
  // No frontmatter: the gateway would not load it.
  'notes/SKILL.md': '# Notes\n\nJust some notes, no frontmatter.\n',
  'skills/crlf-skill/SKILL.md':
    '---\r\nname: crlf-skill\r\ndescription: Written on Windows.\r\n---\r\n\r\n# CRLF\r\n',
  'skills/big-handbook/SKILL.md': bigSkill(),
  // Junk folders are never walked, even if they hold SKILL.md.
  'node_modules/some-pkg/SKILL.md': skillMd('web-search'),
  '.venv/lib/SKILL.md': skillMd('venv-skill'),
  'tmp/SKILL.md': skillMd('tmp-skill'),
  'drafts/wip/SKILL.md': skillMd('wip'),
  // Depth: 6 levels below the root is found, 7 is not.
  'a/b/c/d/e/deep6/SKILL.md': skillMd('deep6'),
  'a/b/c/d/e/f/deep7/SKILL.md': skillMd('deep7'),
  // A skill inside a skill is its own skill; its files are not the outer skill's.
  'skills/toolkit/SKILL.md': skillMd('toolkit'),
  'skills/toolkit/README.md': '# Toolkit\n',
  'skills/toolkit/sub-tool/SKILL.md': skillMd('sub-tool'),
  'skills/toolkit/sub-tool/notes.md': '# Sub\n',
  // Non-string description: the gateway would stringify the list; we report it.
  'skills/listy/SKILL.md': '---\nname: listy\ndescription:\n  - one\n  - two\n---\n',
  // A credential in a script is found in any file that ships.
  'skills/deployer/SKILL.md': skillMd('deployer'),
  'skills/deployer/scripts/deploy.sh': {
    content: `#!/bin/sh\nexport AWS_ACCESS_KEY_ID=${FAKE_AWS_KEY}\n`,
    mode: 0o755,
  },
  'skills/linked/SKILL.md': skillMd('linked'),
  'skills/linked/shared.md': { symlink: '../web-search/references/engines.md' },
};

export function makeFixtureRepo(): Promise<string> {
  return makeTree(FIXTURE_FILES, 'skill-sync-fixture-');
}
