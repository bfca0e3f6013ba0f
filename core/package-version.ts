// skill-sync's own version, from the package.json it ships with (lib/core/ → the package root).
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  try {
    const pkg = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
