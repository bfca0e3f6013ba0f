// Validation profiles: which frontmatter fields are required and which schema limits apply.

export type Profile = 'openclaw' | 'agentskills' | 'strict';

export const PROFILES: readonly Profile[] = ['openclaw', 'agentskills', 'strict'];

interface ProfileRules {
  /** Fields that must be present and non-empty. */
  required: readonly string[];
  /** `$defs` entry of the frontmatter schema layered on top of the base shape, if any. */
  schemaDef?: string;
  /** Agent Skills: the name must equal the folder. */
  nameMatchesFolder: boolean;
  /** The gateway turns every value into a string, so a wrong type or shape still loads: warn instead of fail. */
  gatewayLenient: boolean;
}

const RULES: Record<Profile, ProfileRules> = {
  // The gateway loads a skill when `description` is non-empty; `name` defaults to the folder name.
  openclaw: { required: ['description'], nameMatchesFolder: false, gatewayLenient: true },
  agentskills: {
    required: ['name', 'description'],
    schemaDef: 'agentskills',
    nameMatchesFolder: true,
    gatewayLenient: false,
  },
  // The seed's contract.
  strict: { required: ['name', 'version', 'description'], nameMatchesFolder: false, gatewayLenient: false },
};

export function isProfile(value: string): value is Profile {
  return (PROFILES as readonly string[]).includes(value);
}

export function profileRules(profile: Profile): ProfileRules {
  return RULES[profile];
}
