// Rule ids of the skill validator, each with the one-line description the docs list.

export const SKILL_RULES = {
  'frontmatter/missing':
    'SKILL.md does not start with a `---` frontmatter block, so the gateway sees no description and drops it.',
  'frontmatter/unclosed': 'The frontmatter block is opened with `---` but never closed by a `---` line.',
  'frontmatter/empty': 'The frontmatter block holds no fields.',
  'frontmatter/yaml-invalid':
    'The frontmatter is not valid YAML (or not a `key: value` mapping), so the gateway drops the skill; the message carries the gateway’s reason.',
  'frontmatter/repaired':
    'A `description:` line is not valid YAML; the gateway repairs it by reading the whole line as one string (quote it).',
  'frontmatter/coerced':
    'A field is not a string (a number, list or mapping); the gateway turns it into one (an error under agentskills/strict: `frontmatter/type`).',
  'frontmatter/yaml-reading':
    'YAML takes part of the `name`/`description` line as an anchor (`&x`), a tag (`!x`) or a comment (` # x`); the gateway loads the rest.',
  'frontmatter/line-value':
    'YAML reads `name`/`description` as empty (e.g. `description: # text`), but the gateway’s line reader loads the text.',
  'frontmatter/required': 'A field the profile (or --required-fields) requires is missing or empty.',
  'frontmatter/type': 'A field has the wrong type (e.g. a number where a string is expected).',
  'frontmatter/name-format':
    'Agent Skills: `name` is 1-64 chars of [a-z0-9-] without leading, trailing or double hyphens.',
  'frontmatter/name-mismatch': 'Agent Skills: `name` must equal the skill’s folder name.',
  'frontmatter/description-length': 'Agent Skills: `description` is 1-1024 characters.',
  'frontmatter/shape': 'A field does not match the frontmatter JSON Schema.',
  'file/too-large':
    'SKILL.md is over the gateway’s 256,000 bytes (maxSkillFileBytes), or another file is over the per-file limit (default 10 MiB).',
  'file/encoding': 'SKILL.md is not valid UTF-8; the gateway loads it with the bad bytes replaced.',
  'file/symlink': 'A symlink inside a skill: bundles carry only regular files.',
  'file/unreadable': 'A file inside a skill could not be read.',
  'skill/duplicate-name':
    'Two skills have the same name: the gateway keeps the later one in its load order (a warning) and drops the other (an error).',
  'gateway/not-read':
    'The gateway never reads this SKILL.md where it is deployed: a dot-folder, too deep, or outside the folder it reads.',
  'gateway/scan-cap':
    'Warning: the folder holds more than the 300 sub-folders the gateway scans (sorted); this skill is past them and does not load.',
  'gateway/skill-cap':
    'Warning: the gateway loads at most 200 skills from one folder (in name order); this one is past the cap and does not load.',
  'gateway/bundled-name':
    'The gateway has its own skill of this name: deployed to the managed folder ours replaces it (warning); from extraDirs the gateway’s wins (error).',
  'gateway/nested-skill':
    'A SKILL.md inside another skill’s folder: the gateway never searches there, so it is a file of the outer skill.',
  'gateway/prompt-cut': 'The gateway puts at most 150 skills in the model’s prompt; this one is left out.',
  'gateway/prompt-compact':
    'The skills’ prompt catalog is over the gateway’s 18,000 characters, so it shortens every description.',
} as const;

export type SkillRuleId = keyof typeof SKILL_RULES;

/** Rule ids with their descriptions, in a stable order for docs. */
export function listSkillRules(): { rule: SkillRuleId; description: string }[] {
  return (Object.keys(SKILL_RULES) as SkillRuleId[]).map((rule) => ({
    rule,
    description: SKILL_RULES[rule],
  }));
}
