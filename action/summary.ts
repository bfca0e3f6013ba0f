// Job summary, JSON report and SARIF file: written whatever the outcome, so a failed run still explains itself.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as core from '@actions/core';
import { writeFileAtomic } from '../core/fsutil.js';
import type { Finding } from '../core/findings.js';
import { renderSummary, type RunReport } from '../core/report.js';
import { toSarif } from '../core/sarif.js';
import { redactSecrets } from '../core/secrets/scan.js';

export const REPORT_FILE = 'skill-sync-report.json';
export const SARIF_FILE = 'skill-sync.sarif';

export async function writeReport(report: RunReport, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, REPORT_FILE);
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/** Finding paths are relative to the workspace, which is where code scanning resolves them. */
export async function writeSarif(findings: Finding[], dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SARIF_FILE);
  await writeFileAtomic(file, JSON.stringify(toSarif(findings), null, 2) + '\n');
  return file;
}

export async function writeSummary(report: RunReport, reportPath: string, serverUrl?: string): Promise<void> {
  // Findings are redacted at the source; this pass catches anything that came from outside (receiver replies).
  const markdown = redactSecrets(renderSummary(report, { reportPath, serverUrl }));
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info('GITHUB_STEP_SUMMARY is not set; job summary skipped (the JSON report has everything).');
    return;
  }
  await core.summary.addRaw(markdown).write();
}
