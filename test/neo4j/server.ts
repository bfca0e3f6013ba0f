// Test helper: starts the real Neo4j 5.26 launcher (test/neo4j) on 127.0.0.1 and stops it; tells when Java is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const classes = path.join(here, 'target', 'classes');
const deps = path.join(here, 'target', 'dependency');

export const TEST_USER = 'neo4j';
export const TEST_PASSWORD = 'audit-test-pw-5f2c9';

export interface Neo4jServer {
  uri: string;
  user: string;
  password: string;
  port: number;
  dataDir: string;
  /** Graceful stop (SIGTERM, shutdown hook); resolves when the JVM has exited. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, for recovery tests. */
  kill(): Promise<void>;
}

/** Why the Neo4j tests cannot run here, or undefined when they can. */
export function neo4jUnavailableReason(): string | undefined {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return 'java not found on PATH (Java 17 is required)';
  if (!existsSync(path.join(classes, 'Launcher.class')) || !existsSync(deps)) {
    return 'the launcher is not built: run scripts/neo4j-fetch.sh';
  }
  return undefined;
}

export function neo4jAvailable(): boolean {
  return neo4jUnavailableReason() === undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts Neo4j and resolves once Bolt accepts connections (or rejects with the server's output after the timeout). */
export async function startNeo4j(
  opts: { dataDir?: string; port?: number; timeoutMs?: number } = {},
): Promise<Neo4jServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'neo4j-')));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseSerialGC',
      '-cp',
      `${classes}${path.delimiter}${deps}/*`,
      'Launcher',
      String(port),
      dataDir,
      TEST_PASSWORD,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (b: Buffer) => {
    output = (output + b.toString()).slice(-8000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (!output.includes('NEO4J READY') || !(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `neo4j launcher exited (${child.exitCode ?? child.signalCode}) before Bolt was ready:\n${output}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`neo4j did not accept Bolt connections on 127.0.0.1:${port} in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    uri: `bolt://127.0.0.1:${port}`,
    user: TEST_USER,
    password: TEST_PASSWORD,
    port,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
