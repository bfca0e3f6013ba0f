// Gateway client: one WebSocket RPC session with the OpenClaw gateway (challenge, connect, then requests).
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { scrubText } from '../../core/secrets/redact.js';

/** One entry of the gateway's `skills.status` answer (the fields the check reads). */
export interface GatewaySkill {
  name: string;
  description?: string;
  source: string;
  baseDir: string;
  disabled?: boolean;
  blockedByAllowlist?: boolean;
  blockedByAgentFilter?: boolean;
  eligible?: boolean;
  platformIncompatible?: boolean;
  missing?: Partial<Record<'bins' | 'anyBins' | 'env' | 'config' | 'os', string[]>>;
}

export interface SkillsStatus {
  managedSkillsDir?: string;
  workspaceDir?: string;
  skills: GatewaySkill[];
}

export class GatewayError extends Error {
  override name = 'GatewayError';
}

interface Frame {
  type?: string;
  id?: string;
  event?: string;
  ok?: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string };
}

/**
 * The gateway's protocol (docs/gateway/protocol/handshake.md in the `openclaw` package): it sends a
 * `connect.challenge` event, the client answers with a `connect` request, then `{type:"req"}` frames get
 * `{type:"res"}` answers by id. The receiver connects as the gateway's own loopback backend client
 * (`gateway-client`/`backend`) with the shared token: that path needs no device key pair and keeps the
 * `operator.read` scope `skills.status` requires (docs/decisions.md).
 */
export class GatewayClient {
  private readonly pending = new Map<string, { resolve(f: Frame): void; reject(e: Error): void }>();
  private closedWith: Error | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.onFrame(data));
    ws.on('close', (code) => this.fail(new GatewayError(`gateway closed the connection (${code})`)));
    ws.on('error', (err) => this.fail(new GatewayError(`gateway connection failed: ${errorName(err)}`)));
  }

  /** Opens a session; rejects with a GatewayError (never naming the token) on any failure or after timeoutMs. */
  static connect(url: string, token: string | undefined, timeoutMs: number): Promise<GatewayClient> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, { handshakeTimeout: timeoutMs, maxPayload: 64 * 1024 * 1024 });
      } catch {
        reject(new GatewayError('OPENCLAW_GATEWAY_URL is not a ws:// or wss:// URL'));
        return;
      }
      const client = new GatewayClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new GatewayError(`gateway did not complete the handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (err: Error | null) => {
        clearTimeout(timer);
        ws.off('message', onChallenge);
        if (err) {
          ws.terminate();
          reject(err);
        } else resolve(client);
      };
      const onChallenge = (data: WebSocket.RawData) => {
        const f = parse(data);
        if (f?.type !== 'event' || f.event !== 'connect.challenge') return;
        client
          .request('connect', {
            minProtocol: 4,
            maxProtocol: 4,
            client: { id: 'gateway-client', version: '1', platform: process.platform, mode: 'backend' },
            role: 'operator',
            scopes: ['operator.read'],
            auth: token ? { token } : {},
          })
          .then(
            () => done(null),
            // The gateway's refusal text is its own: it could quote what we sent.
            (err: Error) => done(token ? new GatewayError(scrubText(err.message, [token])) : err),
          );
      };
      ws.on('message', onChallenge);
      ws.once('error', (err) => done(new GatewayError(`gateway unreachable: ${errorName(err)}`)));
      ws.once('close', (code) => done(new GatewayError(`gateway closed the connection (${code})`)));
    });
  }

  /** One RPC; rejects with the gateway's error code and message, or on close/timeout. */
  request<T = unknown>(method: string, params: object, timeoutMs = 10_000): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError(`gateway did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (f) => {
          clearTimeout(timer);
          if (f.ok) resolve(f.payload as T);
          else
            reject(
              new GatewayError(
                `gateway refused ${method}: ${f.error?.code ?? 'error'} ${f.error?.message ?? ''}`.trim(),
              ),
            );
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  skillsStatus(timeoutMs?: number): Promise<SkillsStatus> {
    return this.request<SkillsStatus>('skills.status', {}, timeoutMs);
  }

  close(): void {
    this.fail(new GatewayError('closed'));
    this.ws.terminate();
  }

  private onFrame(data: WebSocket.RawData): void {
    const f = parse(data);
    if (f?.type !== 'res' || typeof f.id !== 'string') return;
    const p = this.pending.get(f.id);
    this.pending.delete(f.id);
    p?.resolve(f);
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** A frame's bytes as text: ws hands over a Buffer, a list of fragments, or an ArrayBuffer. */
function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function parse(data: WebSocket.RawData): Frame | null {
  try {
    const f: unknown = JSON.parse(rawText(data));
    return f && typeof f === 'object' ? f : null;
  } catch {
    return null;
  }
}

/** Error codes like ECONNREFUSED, never messages: those can echo the URL. */
function errorName(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? err.name;
}
