// The pinned OpenClaw gateway as a process (`gateway run`, loopback, token auth, offline) for tests and bench/gateway.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GatewayClient, type SkillsStatus } from '../../receiver/gateway/client.js';
import { gatewayRuntime } from './runtime.js';

export const GATEWAY_TOKEN = 'gateway-test-token-0123456789abcdef';

export interface RunningGateway {
  url: string;
  token: string;
  /** OPENCLAW_STATE_DIR; the gateway's managed skills folder is `<stateDir>/skills`. */
  stateDir: string;
  /** Where skill-sync's live folder goes (SKILLS_DIR): a folder of its own inside the managed one. */
  liveDir: string;
  /** Node 24 and `openclaw.mjs`, with the environment a CLI call on the gateway's host would have. */
  node: string;
  entry: string;
  cliEnv: Record<string, string>;
  output(): string;
  /** One `skills.status` on a fresh connection. */
  status(): Promise<SkillsStatus>;
  /** A connection to keep for repeated `skills.status` calls. */
  connect(): Promise<GatewayClient>;
  stop(): Promise<void>;
  /** Starts it again on the same port and state (after stop()). */
  start(): Promise<void>;
}

/** Everything that would reach out is off: model catalog, update check, mDNS, channels, cron, plugins. */
const OFFLINE_ENV = {
  OPENCLAW_SKIP_CHANNELS: '1',
  OPENCLAW_NO_AUTO_UPDATE: '1',
  OPENCLAW_DISABLE_BONJOUR: '1',
  OPENCLAW_OFFLINE: '1',
  OPENCLAW_SKIP_CRON: '1',
  OPENCLAW_SKIP_GMAIL_WATCHER: '1',
  OPENCLAW_SKIP_CANVAS_HOST: '1',
  OPENCLAW_SKIP_BROWSER_CONTROL_SERVER: '1',
  OPENCLAW_SKIP_STARTUP_MODEL_PREWARM: '1',
};

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the gateway and resolves once it answers `skills.status` (it takes 15-30 s). */
export async function startGateway(): Promise<RunningGateway> {
  const { node, entry } = gatewayRuntime();
  const root = await mkdtemp(path.join(os.tmpdir(), 'skill-sync-gateway-'));
  const stateDir = path.join(root, 'state');
  const home = path.join(root, 'home');
  const workspace = path.join(root, 'workspace');
  for (const d of [stateDir, home, workspace]) await mkdir(d, { recursive: true });
  const config = {
    gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'token' } },
    models: { catalogRefresh: { enabled: false } },
    update: { checkOnStart: false },
    discovery: { mdns: { mode: 'off' } },
    logging: { file: path.join(root, 'gateway.log') },
    agents: { defaults: { workspace } },
  };
  await writeFile(path.join(stateDir, 'openclaw.json'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const cliEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    OPENCLAW_STATE_DIR: stateDir,
    NO_COLOR: '1',
    ...OFFLINE_ENV,
  };
  let out = '';
  let proc: ChildProcess | null = null;

  const launch = async () => {
    const p = spawn(
      node,
      [entry, 'gateway', 'run', '--bind', 'loopback', '--port', String(port), '--auth', 'token'],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          OPENCLAW_STATE_DIR: stateDir,
          OPENCLAW_GATEWAY_TOKEN: GATEWAY_TOKEN,
          NO_COLOR: '1',
          ...OFFLINE_ENV,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: false,
      },
    );
    proc = p;
    running.add(p);
    p.once('exit', () => running.delete(p));
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Ready = the gateway logged `ready` (an event), then answered skills.status once.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway not ready in 90 s:\n${out.slice(-3000)}`)),
        90_000,
      );
      const onData = () => {
        if (!/\[gateway\] ready/.test(out)) return;
        p.stdout.off('data', onData);
        clearTimeout(timer);
        resolve();
      };
      p.stdout.on('data', onData);
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before ready:\n${out.slice(-3000)}`));
      });
    });
    const c = await GatewayClient.connect(url, GATEWAY_TOKEN, 10_000);
    await c.skillsStatus();
    c.close();
  };
  await launch();

  const gw: RunningGateway = {
    url,
    token: GATEWAY_TOKEN,
    stateDir,
    liveDir: path.join(stateDir, 'skills', 'skill-sync'),
    node,
    entry,
    cliEnv,
    output: () => out,
    async status() {
      const c = await GatewayClient.connect(url, GATEWAY_TOKEN, 10_000);
      try {
        return await c.skillsStatus();
      } finally {
        c.close();
      }
    },
    connect: () => GatewayClient.connect(url, GATEWAY_TOKEN, 10_000),
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    start: launch,
  };
  return gw;
}
