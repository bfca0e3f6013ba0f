// Rule ids of the skill validator, each with the one-line description the docs list.

export const SKILL_RULES = {
  'frontmatter/missing':
    'SKILL.md does not start with a `---` frontmatter block, so the gateway sees no fields.',
  'frontmatter/unclosed': 'The frontmatter block is opened with `---` but never closed by a `---` line.',
  'frontmatter/empty': 'The frontmatter block holds no fields.',
  'frontmatter/bom':
    'SKILL.md starts with a UTF-8 byte order mark; tolerated here, but safer saved without it.',
  'frontmatter/yaml-invalid':
    'The frontmatter is neither valid YAML nor readable by the gateway’s line fallback.',
  'frontmatter/yaml-fallback':
    'The frontmatter is not valid YAML; the gateway reads it with its single-line fallback (quote the value).',
  'frontmatter/not-mapping': 'The frontmatter is YAML but not a `key: value` mapping.',
  'frontmatter/required': 'A field the profile (or --required-fields) requires is missing or empty.',
  'frontmatter/type': 'A field has the wrong type (e.g. a number where a string is expected).',
  'frontmatter/name-format':
    'Agent Skills: `name` is 1-64 chars of [a-z0-9-] without leading, trailing or double hyphens.',
  'frontmatter/name-mismatch': 'Agent Skills: `name` must equal the skill’s folder name.',
  'frontmatter/description-length': 'Agent Skills: `description` is 1-1024 characters.',
  'frontmatter/shape': 'A field does not match the frontmatter JSON Schema.',
  'file/too-large':
    'A file is larger than the per-file limit (default 256,000 bytes, OpenClaw’s maxSkillFileBytes).',
  'file/encoding': 'SKILL.md is not valid UTF-8.',
  'file/symlink': 'A symlink inside a skill: bundles carry only regular files.',
  'file/unreadable': 'A file inside a skill could not be read.',
  'skill/duplicate-name': 'Two skills have the same name; each finding names the other file.',
} as const;

export type SkillRuleId = keyof typeof SKILL_RULES;

/** Rule ids with their descriptions, in a stable order for docs. */
export function listSkillRules(): { rule: SkillRuleId; description: string }[] {
  return (Object.keys(SKILL_RULES) as SkillRuleId[]).map((rule) => ({
    rule,
    description: SKILL_RULES[rule],
  }));
}
