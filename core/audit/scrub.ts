// Credential scrubbing for Neo4j error text: what reaches logs and /health never holds a password or `user:pass@`.

/** Removes `user:pass@` from URIs and every occurrence of the known password. */
export function scrubSecrets(message: string, secrets: readonly (string | undefined)[] = []): string {
  let out = message
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1***@')
    .replace(/\b[^\s:@/]+:[^\s@/]+@/g, '***@');
  for (const secret of secrets) {
    if (secret) out = out.split(secret).join('***');
  }
  return out;
}

/** A URI fit for logs: scheme, host and port only. */
export function redactUri(uri: string): string {
  try {
    const u = new URL(uri);
    return `${u.protocol}//${u.host}`;
  } catch {
    return scrubSecrets(uri);
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
