// Where GitHub is and who we are: the REST target, its request headers, and the client's error types.

/** A repository on GitHub (or GitHub Enterprise, or a test server: `apiUrl` / env GITHUB_API_URL). */
export interface GitHubTarget {
  /** Default: env GITHUB_API_URL, else https://api.github.com. */
  apiUrl?: string;
  owner: string;
  repo: string;
  token?: string;
  userAgent?: string;
  /** Per-request timeout until response headers (and between body chunks); default 30 s. */
  timeoutMs?: number;
}

export const DEFAULT_API_URL = 'https://api.github.com';
const DEFAULT_TIMEOUT_MS = 30_000;

export function apiBase(t: GitHubTarget): string {
  return (t.apiUrl || process.env.GITHUB_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
}

export function repoUrl(t: GitHubTarget, rest: string): string {
  return `${apiBase(t)}/repos/${encodeURIComponent(t.owner)}/${encodeURIComponent(t.repo)}${rest}`;
}

export function timeoutOf(t: GitHubTarget): number {
  return t.timeoutMs ?? DEFAULT_TIMEOUT_MS;
}

/** Headers GitHub asks every REST client to send; Authorization only when a token is configured. */
export function apiHeaders(t: GitHubTarget, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': t.userAgent ?? 'skill-sync',
    ...extra,
  };
  if (t.token) h.authorization = `Bearer ${t.token}`;
  return h;
}

/** A GitHub answer we cannot use. `code` is stable (e.g. `github_http_404`); the message never holds the token. */
export class GitHubError extends Error {
  /** Kebab-case, like every code on skill-sync's public APIs (docs/receiver.md): `github-http-500`. */
  readonly code: string;
  constructor(
    code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GitHubError';
    this.code = code.replaceAll('_', '-');
  }

  /** 5xx, timeouts and network failures are worth another try; 4xx are not. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500;
  }
}

/** An asset larger than the caller allows, found from its declared size, Content-Length or while streaming. */
export class AssetTooLarge extends GitHubError {
  constructor(message: string) {
    super('asset-too-large', message);
    this.name = 'AssetTooLarge';
  }
  override get transient(): boolean {
    return false;
  }
}
