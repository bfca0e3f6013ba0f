// SARIF 2.1.0 log of the findings, for GitHub code scanning (github/codeql-action/upload-sarif): no annotation cap.
import type { Finding } from './findings.js';
import { SKILL_RULES } from './skill/rules.js';
import { secretRules } from './secrets/rules.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const TOOL_URI = 'https://github.com/kurultai/skill-sync';

export interface SarifOptions {
  toolVersion?: string;
  /**
   * Prefix that turns finding paths into paths from the repository root (code scanning resolves `uri` against
   * the checkout). Finding paths from the Action already are; the CLI passes the folder it validated.
   */
  uriPrefix?: string;
}

/** The parts of the SARIF 2.1.0 object model this file writes (OASIS sarif-v2.1.0, §3). */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: {
      driver: {
        name: string;
        version?: string;
        informationUri: string;
        rules: {
          id: string;
          shortDescription: { text: string };
          defaultConfiguration: { level: 'error' | 'warning' };
          properties?: { tags: string[]; 'security-severity'?: string };
        }[];
      };
    };
    columnKind: 'utf16CodeUnits';
    results: {
      ruleId: string;
      ruleIndex: number;
      level: 'error' | 'warning';
      message: { text: string };
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string; uriBaseId: '%SRCROOT%' };
          region: { startLine: number; startColumn?: number };
        };
      }[];
    }[];
  }[];
}

const secretDescriptions = new Map(secretRules.map((r) => [`secret/${r.id}`, r.description]));

function describeRule(rule: string): string {
  if (rule in SKILL_RULES) return SKILL_RULES[rule as keyof typeof SKILL_RULES];
  return secretDescriptions.get(rule) ?? rule;
}

/** A path for `artifactLocation.uri`: a relative URI reference, so each segment is percent-encoded. */
function uriOf(file: string, prefix: string | undefined): string {
  const p = prefix ? `${prefix.replace(/\/+$/, '')}/${file}` : file;
  return p
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map(encodeURIComponent)
    .join('/');
}

/**
 * One run, one result per finding. Code scanning needs `region.startLine` on every result, so a finding about a
 * whole file points at its line 1. Messages are the findings' own, already redacted at the source.
 */
export function toSarif(findings: Finding[], opts: SarifOptions = {}): SarifLog {
  const ruleIds = [...new Set(findings.map((f) => f.rule))].sort();
  const index = new Map(ruleIds.map((id, i) => [id, i]));
  const rules = ruleIds.map((id) => {
    const sev = findings.find((f) => f.rule === id)?.severity ?? 'warning';
    return {
      id,
      shortDescription: { text: describeRule(id) },
      defaultConfiguration: { level: sev },
      // Code scanning ranks security alerts by `security-severity` (0-10); a committed credential is critical.
      ...(id.startsWith('secret/') ? { properties: { tags: ['security'], 'security-severity': '9.0' } } : {}),
    };
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'skill-sync',
            ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
            informationUri: TOOL_URI,
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? 0,
          level: f.severity,
          message: { text: f.fix ? `${f.message}\nFix: ${f.fix}` : f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: uriOf(f.file, opts.uriPrefix), uriBaseId: '%SRCROOT%' },
                region: {
                  startLine: f.line > 0 ? f.line : 1,
                  ...(f.line > 0 && f.column > 0 ? { startColumn: f.column } : {}),
                },
              },
            },
          ],
        })),
      },
    ],
  };
}
