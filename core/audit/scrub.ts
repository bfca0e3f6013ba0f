// Error text for the audit trail's logs; what may be shown of it is decided by core/secrets/redact.ts.

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
