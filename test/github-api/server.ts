// A local GitHub-like REST server for tests: releases, asset upload and 302 download, ETag/304, rate limits,
// drafts and immutable releases, leftover `starter` assets, branch refs, and a read-only job token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

export type Host = 'api' | 'uploads' | 'assets';

export interface RecordedRequest {
  host: Host;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Whether an Authorization header was sent (its value is never recorded). */
  authorization: boolean;
  conditional: boolean;
  status: number;
  /** Epoch ms when the request arrived. */
  at: number;
}

export interface FakeAsset {
  id: number;
  name: string;
  label: string | null;
  contentType: string;
  data: Buffer;
  /** Size GitHub reports in JSON; tests may make it lie. */
  size: number;
  /** `starter`: an upload that failed half-way (GitHub's 502); it blocks the name until deleted. */
  state: 'uploaded' | 'starter';
  downloadCount: number;
  createdAt: string;
}

export interface FakeRelease {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  /** Monotonic creation order, so created_at never ties in tests that create releases within one second. */
  createdMs: number;
  publishedMs: number | null;
  /** Published while the repository had immutable releases on: assets are frozen. */
  immutable: boolean;
  assets: FakeAsset[];
}

export interface FakeState {
  owner: string;
  repo: string;
  releases: FakeRelease[];
  tags: Set<string>;
  /** Release explicitly made latest (make_latest: true); otherwise latest is by created_at. */
  latestId: number | null;
  /** Files of each pull request, by number, as `GET pulls/{n}/files` lists them. */
  pullFiles: Map<number, { filename: string; status: string }[]>;
  rate: { limit: number; remaining: number; reset: number; used: number };
  /** Repository setting: a published release's assets cannot be added, changed or deleted. */
  immutableReleases: boolean;
  /** Commit sha → committer date (epoch ms). GitHub documents a release's created_at as its commit's date. */
  commits: Map<string, number>;
  /** Commit sha → its parent and the paths it changed, for GET /compare/{base}...{head}. */
  history: Map<string, { parent?: string; files: string[] }>;
  /** Branch name → tip sha, served by GET /git/ref/heads/{branch}. */
  branches: Map<string, string>;
  /** The job token's `contents` permission: `read` makes every write a 403 "Resource not accessible by integration". */
  contents: 'read' | 'write';
}

export interface FakeOptions {
  owner?: string;
  repo?: string;
  rateLimit?: number;
  /** Seconds of the rate-limit window; default 3600 like GitHub. */
  rateWindowSec?: number;
  /** Serve asset downloads without Content-Length (chunked), to test caps while streaming. */
  chunkedAssets?: boolean;
  /** How far GitHub's clock (its `Date` header) is from ours, to test a runner whose clock is off. */
  clockSkewMs?: number;
  immutableReleases?: boolean;
}

/** Injected faults, served in the order they were queued: a status (with headers/body), or a hang. */
interface Injection {
  hang?: boolean;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  host: Host;
}

/**
 * How the next matching answer is delivered, instead of all at once: the faults a poller must survive.
 * `stall` sends the headers and half the body, then nothing; `trickle` sends one byte every `everyMs`;
 * `huge` pads a JSON answer to about `bytes`, streamed without Content-Length.
 */
export type Delivery =
  { kind: 'stall' } | { kind: 'trickle'; everyMs: number } | { kind: 'huge'; bytes: number };

/** What a shaped delivery did: bytes written, and whether the client hung up before the end. */
export interface DeliveryStats {
  started: boolean;
  sent: number;
  closedEarly: boolean;
}

interface PendingDelivery {
  delivery: Delivery;
  host: Host;
  path?: RegExp;
  stats: DeliveryStats;
}

export interface FakeGitHub {
  apiUrl: string;
  uploadUrl: string;
  assetHostUrl: string;
  state: FakeState;
  requests: RecordedRequest[];
  /** The next n requests to `host` (default api) get this status (500, 403, 429 …) and headers. */
  failNext(status: number, n?: number, headers?: Record<string, string>, host?: Host, body?: unknown): void;
  /** The next n requests to `host` (default api) never get an answer (until close). */
  hangNext(n?: number, host?: Host): void;
  /** The next answer on `host` (default api) whose path matches is delivered in this faulty way. */
  deliverNext(delivery: Delivery, match?: { host?: Host; path?: RegExp }): DeliveryStats;
  /** The next n uploads answer 502 after leaving a `starter` asset of that name behind, as GitHub can. */
  failUploadLeavingStarter(n?: number): void;
  /** A commit with its committer date (a release that targets it gets that date as created_at), parent and changed paths. */
  addCommit(sha: string, date: Date, opts?: { parent?: string; files?: string[] }): void;
  /** Moves a branch to a commit (a push). */
  setBranch(name: string, sha: string): void;
  setRateLimit(r: Partial<FakeState['rate']>): void;
  /** Seeds a published release directly (as if created elsewhere); returns it. */
  addRelease(r: {
    tag: string;
    draft?: boolean;
    prerelease?: boolean;
    makeLatest?: boolean;
    commit?: string;
    assets?: { name: string; data: Buffer | string; contentType?: string; size?: number }[];
  }): FakeRelease;
  /** The rollback attack: an older release gets marked latest (PATCH make_latest true). */
  markLatest(id: number): void;
  /** Seeds pull request `n` with the files it changes (status `added`, `modified`, `removed`, `renamed` …). */
  setPullFiles(n: number, files: { filename: string; status?: string }[]): void;
  latest(): FakeRelease | undefined;
  assetDownloads(): RecordedRequest[];
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';
/** What GitHub answers a GITHUB_TOKEN without the permission a write needs. */
const FORBIDDEN = {
  message: 'Resource not accessible by integration',
  documentation_url: `${DOCS}/releases/releases#create-a-release`,
  status: '403',
};

export async function startFakeGitHub(opts: FakeOptions = {}): Promise<FakeGitHub> {
  const window = opts.rateWindowSec ?? 3600;
  const nowSec = () => Math.floor(Date.now() / 1000);
  const state: FakeState = {
    owner: opts.owner ?? 'acme',
    repo: opts.repo ?? 'skills',
    releases: [],
    tags: new Set(),
    latestId: null,
    pullFiles: new Map(),
    rate: {
      limit: opts.rateLimit ?? 5000,
      remaining: opts.rateLimit ?? 5000,
      reset: nowSec() + window,
      used: 0,
    },
    immutableReleases: !!opts.immutableReleases,
    commits: new Map(),
    history: new Map(),
    branches: new Map(),
    contents: 'write',
  };
  const requests: RecordedRequest[] = [];
  const injections: Injection[] = [];
  const deliveries: PendingDelivery[] = [];
  const signed = new Map<string, number>(); // signed download token → asset id
  let starterUploads = 0;
  /** Tags of deleted immutable releases: GitHub never lets them be reused. */
  const burned = new Set<string>();
  let nextId = 1000;
  let clock = Date.now();
  const tick = () => (clock = Math.max(clock + 1000, Date.now()));

  const servers: Record<Host, http.Server> = {
    api: http.createServer((q, s) => void handle('api', q, s)),
    uploads: http.createServer((q, s) => void handle('uploads', q, s)),
    assets: http.createServer((q, s) => void handle('assets', q, s)),
  };
  const urls = {} as Record<Host, string>;
  for (const host of Object.keys(servers) as Host[]) {
    await new Promise<void>((r) => servers[host].listen(0, '127.0.0.1', r));
    urls[host] = `http://127.0.0.1:${(servers[host].address() as AddressInfo).port}`;
  }

  const repoPath = () => `/repos/${state.owner}/${state.repo}`;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

  function assetJson(a: FakeAsset) {
    return {
      url: `${urls.api}${repoPath()}/releases/assets/${a.id}`,
      id: a.id,
      node_id: `RA_${a.id}`,
      name: a.name,
      label: a.label,
      content_type: a.contentType,
      state: a.state,
      size: a.size,
      download_count: a.downloadCount,
      created_at: a.createdAt,
      updated_at: a.createdAt,
      browser_download_url: `https://github.com/${state.owner}/${state.repo}/releases/download/${encodeURIComponent(
        releaseOf(a.id)?.tagName ?? '',
      )}/${encodeURIComponent(a.name)}`,
      uploader: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
    };
  }

  function releaseJson(r: FakeRelease) {
    return {
      url: `${urls.api}${repoPath()}/releases/${r.id}`,
      html_url: `https://github.com/${state.owner}/${state.repo}/releases/tag/${encodeURIComponent(r.tagName)}`,
      assets_url: `${urls.api}${repoPath()}/releases/${r.id}/assets`,
      upload_url: `${urls.uploads}${repoPath()}/releases/${r.id}/assets{?name,label}`,
      tarball_url: `${urls.api}${repoPath()}/tarball/${r.tagName}`,
      zipball_url: `${urls.api}${repoPath()}/zipball/${r.tagName}`,
      id: r.id,
      node_id: `RE_${r.id}`,
      tag_name: r.tagName,
      target_commitish: r.targetCommitish,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      created_at: iso(r.createdMs),
      published_at: r.publishedMs === null ? null : iso(r.publishedMs),
      immutable: r.immutable,
      author: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      assets: r.assets.map(assetJson),
    };
  }

  function releaseOf(assetId: number): FakeRelease | undefined {
    return state.releases.find((r) => r.assets.some((a) => a.id === assetId));
  }

  function latest(): FakeRelease | undefined {
    const full = state.releases.filter((r) => !r.draft && !r.prerelease);
    const marked = full.find((r) => r.id === state.latestId);
    if (marked) return marked;
    return full.sort((a, b) => b.createdMs - a.createdMs || b.id - a.id)[0];
  }

  function createRelease(input: {
    tag: string;
    commit?: string;
    name?: string | null;
    body?: string | null;
    draft?: boolean;
    prerelease?: boolean;
    makeLatest?: string | boolean;
  }): FakeRelease {
    const t = tick();
    const commitMs = state.commits.get(input.commit ?? '');
    const r: FakeRelease = {
      id: nextId++,
      tagName: input.tag,
      targetCommitish: input.commit ?? 'main',
      name: input.name ?? null,
      body: input.body ?? null,
      draft: !!input.draft,
      prerelease: !!input.prerelease,
      createdMs: commitMs ?? t,
      publishedMs: input.draft ? null : t,
      immutable: !input.draft && state.immutableReleases,
      assets: [],
    };
    state.releases.push(r);
    // A draft has no tag yet: GitHub creates it when the release is published.
    if (!r.draft) state.tags.add(r.tagName);
    // GitHub: make_latest defaults to true; drafts and prereleases cannot be latest.
    const ml = String(input.makeLatest ?? 'true');
    if (ml === 'true' && !r.draft && !r.prerelease) state.latestId = r.id;
    return r;
  }

  function addAsset(
    r: FakeRelease,
    name: string,
    data: Buffer,
    contentType: string,
    label: string | null,
    size?: number,
    assetState: FakeAsset['state'] = 'uploaded',
  ) {
    const a: FakeAsset = {
      id: nextId++,
      name,
      label,
      contentType,
      data,
      size: size ?? data.length,
      state: assetState,
      downloadCount: 0,
      createdAt: iso(Date.now()),
    };
    r.assets.push(a);
    return a;
  }

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(state.rate.limit),
      'x-ratelimit-remaining': String(state.rate.remaining),
      'x-ratelimit-reset': String(state.rate.reset),
      'x-ratelimit-used': String(state.rate.used),
      'x-ratelimit-resource': 'core',
    };
  }

  async function readBody(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async function handle(host: Host, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const rec: RecordedRequest = {
      host,
      method: req.method ?? 'GET',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { ...req.headers, authorization: req.headers.authorization ? '<redacted>' : undefined },
      authorization: !!req.headers.authorization,
      conditional: !!req.headers['if-none-match'],
      status: 0,
      at: Date.now(),
    };
    requests.push(rec);

    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      rec.status = status;
      const data = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
      // GitHub stamps every answer with its own clock in an RFC 7231 Date header.
      const h: Record<string, string> = {
        date: new Date(Date.now() + (opts.clockSkewMs ?? 0)).toUTCString(),
        ...headers,
      };
      if (host === 'api') Object.assign(h, rateHeaders(), headers);
      if (body !== undefined && !Buffer.isBuffer(body)) h['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(status, h);
      res.end(data);
    };

    const shapedAt = deliveries.findIndex((d) => d.host === host && (!d.path || d.path.test(u.pathname)));
    if (shapedAt >= 0) shape(res, deliveries.splice(shapedAt, 1)[0]!);

    const injAt = injections.findIndex((i) => i.host === host);
    if (injAt >= 0) {
      const inj = injections.splice(injAt, 1)[0]!;
      if (inj.hang) {
        rec.status = -1; // never answered
        return;
      }
      await readBody(req);
      if (host === 'api') countRequest();
      return send(inj.status, inj.body, inj.headers);
    }

    try {
      if (host === 'api') return await api(req, u, rec, send);
      if (host === 'uploads') return await uploads(req, u, send);
      return assets(req, u, rec, res);
    } catch (err) {
      return send(500, { message: `fake: ${(err as Error).message}` });
    }
  }

  /** Buffers what the handler writes, then plays it out as the delivery says. */
  function shape(res: http.ServerResponse, p: PendingDelivery): void {
    const { delivery: d, stats } = p;
    const out: Buffer[] = [];
    const rawHead = res.writeHead.bind(res) as (s: number, h?: http.OutgoingHttpHeaders) => void;
    const rawWrite = res.write.bind(res) as (c: Buffer) => boolean;
    const rawEnd = res.end.bind(res) as (c?: Buffer) => void;
    res.writeHead = ((status: number, headers?: http.OutgoingHttpHeaders) => {
      const h = { ...(headers ?? {}) };
      if (d.kind === 'huge') delete h['content-length'];
      rawHead(status, h);
      return res;
    }) as typeof res.writeHead;
    res.write = ((c: string | Buffer) => (out.push(Buffer.from(c)), true)) as typeof res.write;
    res.end = ((c?: string | Buffer) => {
      if (c) out.push(Buffer.from(c));
      void play(Buffer.concat(out)).catch(() => undefined);
      return res;
    }) as typeof res.end;
    res.once('close', () => (stats.closedEarly = !res.writableFinished));
    const pump = async (chunk: Buffer | string) => {
      stats.sent += Buffer.byteLength(chunk);
      if (rawWrite(Buffer.from(chunk))) return;
      await new Promise<void>((resolve) => {
        const done = () => (res.off('drain', done), res.off('close', done), resolve());
        res.on('drain', done).on('close', done);
      });
    };
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    async function play(data: Buffer): Promise<void> {
      stats.started = true;
      if (d.kind === 'stall') return void (await pump(data.subarray(0, Math.floor(data.length / 2))));
      if (d.kind === 'trickle') {
        for (let i = 0; i < data.length && !res.destroyed; i++) {
          await pump(data.subarray(i, i + 1));
          await wait(d.everyMs);
        }
        return rawEnd();
      }
      // huge: the real JSON object, with one more member that is all padding.
      await pump(data.subarray(0, data.lastIndexOf('}')));
      await pump(',"padding":"');
      const filler = Buffer.alloc(64 * 1024, 'x');
      while (stats.sent < d.bytes && !res.destroyed) await pump(filler);
      if (!res.destroyed) rawEnd(Buffer.from('"}'));
    }
  }

  /** Every API request that is not a 304 counts, errors included; the window resets at `reset`. */
  function rollover() {
    if (nowSec() >= state.rate.reset) {
      state.rate.remaining = state.rate.limit;
      state.rate.used = 0;
      state.rate.reset = nowSec() + window;
    }
  }

  function countRequest() {
    rollover();
    if (state.rate.remaining > 0) {
      state.rate.remaining--;
      state.rate.used++;
    }
  }

  type Send = (status: number, body?: unknown, headers?: Record<string, string>) => void;

  /** The commits from `from` back to (not including) `to`, or null when `to` is not an ancestor. */
  function walk(from: string, to: string): string[] | null {
    const out: string[] = [];
    for (let at: string | undefined = from; at; at = state.history.get(at)?.parent) {
      if (at === to) return out;
      out.push(at);
    }
    return null;
  }

  /** GitHub's comparison: status, counts, and the changed files (at most 300, as GitHub documents). */
  function compare(base: string, head: string) {
    if (!state.history.has(base) || !state.history.has(head)) return null;
    const ahead = walk(head, base);
    const behind = ahead ? [] : walk(base, head);
    const status = base === head ? 'identical' : ahead ? 'ahead' : behind ? 'behind' : 'diverged';
    const files = [...new Set((ahead ?? []).flatMap((sha) => state.history.get(sha)!.files))];
    return {
      status,
      ahead_by: ahead?.length ?? 0,
      behind_by: behind?.length ?? 0,
      total_commits: ahead?.length ?? 0,
      commits: (ahead ?? []).reverse().map((sha) => ({ sha })),
      files: files.slice(0, 300).map((filename) => ({ filename, status: 'modified' })),
    };
  }

  /** GitHub's 422 for a change to a published immutable release, with the reason in errors[].message. */
  function immutableAssets(message: string) {
    return {
      message: 'Validation Failed',
      errors: [{ resource: 'ReleaseAsset', code: 'custom', field: '', message }],
      documentation_url: `${DOCS}/releases/assets#upload-a-release-asset`,
    };
  }

  async function api(req: http.IncomingMessage, u: URL, rec: RecordedRequest, send: Send): Promise<void> {
    const method = req.method ?? 'GET';
    const authed = /^(Bearer|token) \S+$/.test(req.headers.authorization ?? '');
    rollover();
    // GET /rate_limit does not count against the limit and answers even when it is used up.
    if (method === 'GET' && u.pathname === '/rate_limit')
      return send(200, { resources: { core: state.rate }, rate: state.rate });
    if (state.rate.remaining === 0) {
      return send(403, {
        message: 'API rate limit exceeded for 127.0.0.1.',
        documentation_url: `${DOCS}/using-the-rest-api/rate-limits-for-the-rest-api`,
      });
    }
    const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
    const base = repoPath();
    const notFound = () => (countRequest(), send(404, { message: 'Not Found', documentation_url: DOCS }));
    if (!u.pathname.startsWith(base + '/')) return notFound();
    const rest = u.pathname.slice(base.length);
    if (method !== 'GET' && !authed) {
      countRequest();
      return send(401, { message: 'Requires authentication', documentation_url: DOCS });
    }
    if (method !== 'GET' && state.contents === 'read') {
      countRequest();
      return send(403, FORBIDDEN);
    }

    // Conditional GETs: a strong ETag over the JSON; a matching If-None-Match costs nothing.
    const json = (status: number, value: unknown, extra: Record<string, string> = {}) => {
      if (method === 'GET' && status === 200) {
        const etag = `"${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32)}"`;
        if (req.headers['if-none-match'] === etag) return send(304, undefined, { etag });
        countRequest();
        return send(status, value, { etag, 'cache-control': 'private, max-age=60, s-maxage=60', ...extra });
      }
      countRequest();
      return send(status, value, extra);
    };
    const input = () => (body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {});
    let m: RegExpExecArray | null;

    if (method === 'GET' && rest === '/releases/latest') {
      const r = latest();
      return r ? json(200, releaseJson(r)) : notFound();
    }
    if (method === 'GET' && rest === '/releases') {
      const perPage = Math.min(100, Number(u.searchParams.get('per_page') ?? 30) || 30);
      const page = Math.max(1, Number(u.searchParams.get('page') ?? 1) || 1);
      const all = state.releases
        .filter((r) => authed || !r.draft)
        .sort((a, b) => b.createdMs - a.createdMs || b.id - a.id);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      const extra: Record<string, string> = {};
      if (page * perPage < all.length) {
        extra.link = `<${urls.api}${base}/releases?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      }
      return json(200, slice.map(releaseJson), extra);
    }
    if (method === 'POST' && rest === '/releases') {
      const i = input();
      const tag = typeof i.tag_name === 'string' ? i.tag_name : '';
      if (!tag)
        return json(422, {
          message: 'Validation Failed',
          errors: [{ field: 'tag_name', code: 'missing_field' }],
        });
      if (burned.has(tag)) {
        return json(422, {
          message: 'Validation Failed',
          errors: [
            {
              resource: 'Release',
              code: 'custom',
              field: 'tag_name',
              message: 'tag_name was used by an immutable release',
            },
          ],
          documentation_url: DOCS,
        });
      }
      if (state.releases.some((r) => r.tagName === tag)) {
        return json(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          documentation_url: DOCS,
        });
      }
      const r = createRelease({
        tag,
        commit: i.target_commitish as string | undefined,
        name: (i.name as string | undefined) ?? null,
        body: (i.body as string | undefined) ?? null,
        draft: i.draft as boolean | undefined,
        prerelease: i.prerelease as boolean | undefined,
        makeLatest: i.make_latest as string | undefined,
      });
      return json(201, releaseJson(r), { location: `${urls.api}${base}/releases/${r.id}` });
    }
    if (method === 'GET' && (m = /^\/releases\/tags\/([^/]+)$/.exec(rest))) {
      const tag = decodeURIComponent(m[1]!);
      const r = state.releases.find((x) => x.tagName === tag && !x.draft);
      return r ? json(200, releaseJson(r)) : notFound();
    }
    if ((m = /^\/releases\/assets\/(\d+)$/.exec(rest))) {
      const id = Number(m[1]);
      const owner = releaseOf(id);
      const a = owner?.assets.find((x) => x.id === id);
      if (!owner || !a) return notFound();
      if (method === 'DELETE') {
        if (owner.immutable)
          return json(422, immutableAssets('Cannot delete assets of an immutable release.'));
        owner.assets = owner.assets.filter((x) => x.id !== id);
        return json(204, undefined);
      }
      if (method === 'GET' && req.headers.accept === 'application/octet-stream') {
        const token = randomBytes(16).toString('hex');
        signed.set(token, id);
        countRequest();
        return send(302, undefined, {
          location: `${urls.assets}/signed/${token}/${encodeURIComponent(a.name)}?X-Amz-Signature=${token}`,
        });
      }
      if (method === 'GET') return json(200, assetJson(a));
    }
    if (method === 'GET' && (m = /^\/releases\/(\d+)\/assets$/.exec(rest))) {
      const r = state.releases.find((x) => x.id === Number(m![1]));
      return r ? json(200, r.assets.map(assetJson)) : notFound();
    }
    if (method === 'GET' && (m = /^\/git\/ref\/heads\/(.+)$/.exec(rest))) {
      const branch = decodeURIComponent(m[1]!);
      const sha = state.branches.get(branch);
      if (!sha) return notFound();
      return json(200, {
        ref: `refs/heads/${branch}`,
        node_id: `REF_${branch}`,
        url: `${urls.api}${base}/git/refs/heads/${branch}`,
        object: { type: 'commit', sha, url: `${urls.api}${base}/git/commits/${sha}` },
      });
    }
    if (method === 'GET' && (m = /^\/compare\/([^/.]+)\.\.\.([^/.]+)$/.exec(rest))) {
      const c = compare(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
      return c ? json(200, c) : notFound();
    }
    if ((m = /^\/releases\/(\d+)$/.exec(rest))) {
      const id = Number(m[1]);
      const r = state.releases.find((x) => x.id === id);
      if (!r) return notFound();
      if (method === 'GET') return json(200, releaseJson(r));
      if (method === 'DELETE') {
        if (r.immutable) burned.add(r.tagName);
        state.releases = state.releases.filter((x) => x.id !== id);
        if (state.latestId === id) state.latestId = null;
        return json(204, undefined);
      }
      if (method === 'PATCH') {
        const i = input();
        const publishing = r.draft && i.draft === false;
        if (r.immutable && (i.draft === true || typeof i.tag_name === 'string')) {
          return json(422, immutableAssets('An immutable release cannot be changed back to a draft.'));
        }
        if (typeof i.draft === 'boolean') r.draft = i.draft;
        if (typeof i.prerelease === 'boolean') r.prerelease = i.prerelease;
        if (typeof i.name === 'string') r.name = i.name;
        if (publishing) {
          // Publishing creates the tag and, with the setting on, freezes the assets from now on.
          r.publishedMs = tick();
          r.immutable = state.immutableReleases;
          state.tags.add(r.tagName);
        }
        // GitHub: make_latest defaults to true for newly published releases.
        const ml = typeof i.make_latest === 'string' ? i.make_latest : publishing ? 'true' : '';
        if (ml === 'true' && !r.draft && !r.prerelease) state.latestId = r.id;
        return json(200, releaseJson(r));
      }
    }
    if (method === 'GET' && (m = /^\/pulls\/(\d+)\/files$/.exec(rest))) {
      // docs.github.com/rest/pulls/pulls#list-pull-requests-files: 30 per page by default, 100 at most, 3000 files
      // in all; paged with a Link header.
      const files = state.pullFiles.get(Number(m[1]));
      if (!files) return notFound();
      const perPage = Math.min(100, Number(u.searchParams.get('per_page') ?? 30) || 30);
      const page = Math.max(1, Number(u.searchParams.get('page') ?? 1) || 1);
      const all = files.slice(0, 3000);
      const extra: Record<string, string> = {};
      if (page * perPage < all.length) {
        extra.link = `<${urls.api}${base}/pulls/${m[1]}/files?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      }
      const slice = all.slice((page - 1) * perPage, page * perPage).map((f, i) => ({
        sha: createHash('sha1').update(f.filename).digest('hex'),
        filename: f.filename,
        status: f.status,
        additions: 1,
        deletions: 0,
        changes: 1,
        blob_url: `https://github.com/${state.owner}/${state.repo}/blob/${'0'.repeat(40)}/${f.filename}`,
        raw_url: `https://github.com/${state.owner}/${state.repo}/raw/${'0'.repeat(40)}/${f.filename}`,
        contents_url: `${urls.api}${base}/contents/${f.filename}?ref=${'0'.repeat(40)}`,
        patch: `@@ -0,0 +1 @@ ${i}`,
      }));
      return json(200, slice, extra);
    }
    if (method === 'DELETE' && (m = /^\/git\/refs\/tags\/(.+)$/.exec(rest))) {
      const tag = decodeURIComponent(m[1]!);
      if (state.releases.some((r) => r.immutable && r.tagName === tag))
        return json(422, {
          message: 'Cannot delete the tag of an immutable release',
          documentation_url: DOCS,
        });
      if (!state.tags.delete(tag))
        return json(422, { message: 'Reference does not exist', documentation_url: DOCS });
      return json(204, undefined);
    }
    return notFound();
  }

  async function uploads(req: http.IncomingMessage, u: URL, send: Send): Promise<void> {
    const m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(u.pathname);
    const data = await readBody(req);
    if (!/^(Bearer|token) \S+$/.test(req.headers.authorization ?? '')) {
      return send(401, { message: 'Requires authentication' });
    }
    if (state.contents === 'read') return send(403, FORBIDDEN);
    if (req.method !== 'POST' || !m || m[1] !== state.owner || m[2] !== state.repo)
      return send(404, { message: 'Not Found' });
    const r = state.releases.find((x) => x.id === Number(m[3]));
    const name = u.searchParams.get('name');
    if (!r) return send(404, { message: 'Not Found' });
    if (!name)
      return send(422, { message: 'Validation Failed', errors: [{ field: 'name', code: 'missing' }] });
    const declared = Number(req.headers['content-length']);
    if (!Number.isFinite(declared)) return send(411, { message: 'Length Required' });
    if (r.immutable) return send(422, immutableAssets('Cannot upload assets to an immutable release.'));
    if (r.assets.some((a) => a.name === name)) {
      return send(422, {
        message: 'Validation Failed',
        errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
      });
    }
    if (starterUploads > 0) {
      starterUploads--;
      addAsset(r, name, Buffer.alloc(0), 'application/octet-stream', null, 0, 'starter');
      return send(502, { message: 'Server Error' });
    }
    const a = addAsset(
      r,
      name,
      data,
      String(req.headers['content-type'] ?? 'application/octet-stream'),
      u.searchParams.get('label'),
    );
    return send(201, assetJson(a));
  }

  function assets(req: http.IncomingMessage, u: URL, rec: RecordedRequest, res: http.ServerResponse): void {
    const m = /^\/signed\/([0-9a-f]+)\//.exec(u.pathname);
    const id = m ? signed.get(m[1]!) : undefined;
    const a = id === undefined ? undefined : releaseOf(id)?.assets.find((x) => x.id === id);
    // S3 refuses a second auth mechanism next to the signed query string.
    if (req.headers.authorization) {
      rec.status = 400;
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end(
        '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>',
      );
      return;
    }
    if (!a) {
      rec.status = 403;
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    a.downloadCount++;
    rec.status = 200;
    const h: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (!opts.chunkedAssets) h['content-length'] = String(a.data.length);
    res.writeHead(200, h);
    if (opts.chunkedAssets) {
      // Several chunks, so a streaming cap can trip before the end.
      for (let i = 0; i < a.data.length; i += 16_384) res.write(a.data.subarray(i, i + 16_384));
      res.end();
    } else res.end(a.data);
  }

  return {
    apiUrl: urls.api,
    uploadUrl: urls.uploads,
    assetHostUrl: urls.assets,
    state,
    requests,
    failNext(status, n = 1, headers = {}, host = 'api', body) {
      const b =
        body ??
        (status === 429 || status === 403
          ? { message: 'You have exceeded a secondary rate limit.' }
          : { message: 'Server Error' });
      for (let i = 0; i < n; i++) injections.push({ status, headers, body: b, host });
    },
    hangNext(n = 1, host = 'api') {
      for (let i = 0; i < n; i++)
        injections.push({ hang: true, status: 0, headers: {}, body: undefined, host });
    },
    deliverNext(delivery, match = {}) {
      const stats: DeliveryStats = { started: false, sent: 0, closedEarly: false };
      const pending: PendingDelivery = { delivery, host: match.host ?? 'api', stats };
      if (match.path) pending.path = match.path;
      deliveries.push(pending);
      return stats;
    },
    failUploadLeavingStarter(n = 1) {
      starterUploads += n;
    },
    addCommit(sha, date, o = {}) {
      state.commits.set(sha, date.getTime());
      state.history.set(sha, { parent: o.parent, files: o.files ?? [] });
    },
    setBranch(name, sha) {
      state.branches.set(name, sha);
    },
    setRateLimit(r) {
      Object.assign(state.rate, r);
    },
    addRelease(r) {
      const rel = createRelease({
        tag: r.tag,
        commit: r.commit,
        draft: r.draft,
        prerelease: r.prerelease,
        makeLatest: r.makeLatest ?? true,
        name: r.tag,
      });
      for (const a of r.assets ?? []) {
        addAsset(rel, a.name, Buffer.from(a.data), a.contentType ?? 'application/octet-stream', null, a.size);
      }
      return rel;
    },
    markLatest(id) {
      state.latestId = id;
    },
    setPullFiles(n, files) {
      state.pullFiles.set(
        n,
        files.map((f) => ({ filename: f.filename, status: f.status ?? 'modified' })),
      );
    },
    latest,
    assetDownloads: () =>
      requests.filter(
        (q) =>
          q.host === 'assets' ||
          (q.host === 'api' && /\/releases\/assets\/\d+$/.test(q.path) && q.method === 'GET'),
      ),
    async close() {
      for (const s of Object.values(servers)) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
