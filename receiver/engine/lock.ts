// Cross-process lock file: O_EXCL create with {pid, host, bootId, createdAt, token}; a stale owner's lock is taken over.
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Log } from '../log.js';

interface LockBody {
  pid: number;
  /** Where the pid means something: another host's (or container's) pid cannot be checked from here. */
  host?: string;
  bootId?: string;
  createdAt: string;
  token: string;
}

/** This machine's boot: the same host name after a reboot is a new pid space. Empty where Linux's file is absent. */
function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

const HERE = { host: os.hostname(), bootId: readBootId() };

const POLL_MS = 50;

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LockFile {
  private token: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string,
    private readonly ttlMs: number,
    private readonly log?: Log,
  ) {}

  get held(): boolean {
    return this.token !== null;
  }

  /** Waits (polling) while another live process holds the lock. */
  async acquire(): Promise<void> {
    if (this.token) throw new Error('lock already held by this engine');
    const token = randomBytes(8).toString('hex');
    const body: LockBody = { pid: process.pid, ...HERE, createdAt: new Date().toISOString(), token };
    let waitingLogged = false;
    for (;;) {
      if (await this.tryCreate(body)) break;
      const owner = await this.readOwner();
      if (owner && this.isStale(owner.body, owner.mtimeMs)) {
        await this.takeOver(owner.body);
        continue;
      }
      if (!waitingLogged && owner) {
        this.log?.info(
          { pid: owner.body.pid, host: owner.body.host },
          'waiting for the deploy lock held by another process',
        );
        waitingLogged = true;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    this.token = token;
    // A long deploy refreshes the lock's mtime so that a TTL check elsewhere never steals it.
    this.heartbeat = setInterval(
      () => {
        const now = new Date();
        utimes(this.file, now, now).catch(() => undefined);
      },
      Math.max(1000, Math.floor(this.ttlMs / 3)),
    );
    this.heartbeat.unref();
  }

  async release(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const token = this.token;
    this.token = null;
    if (!token) return;
    const owner = await this.readOwner();
    // Only remove our own lock: after a TTL takeover it may belong to someone else now.
    if (owner?.body.token === token) await rm(this.file, { force: true });
  }

  /** Removes the lock at start-up when its owner is gone; returns the removed owner's pid. */
  async clearIfStale(): Promise<number | null> {
    const owner = await this.readOwner();
    if (!owner || !this.isStale(owner.body, owner.mtimeMs)) return null;
    await this.takeOver(owner.body);
    return owner.body.pid;
  }

  private isStale(body: LockBody, mtimeMs: number): boolean {
    const touched = Math.max(mtimeMs, Date.parse(body.createdAt) || 0);
    const expired = Date.now() - touched > this.ttlMs;
    // Another host (or container: its own hostname and pid space) sharing the volume: its pid says nothing
    // here, so only the TTL, which its heartbeat keeps fresh, can free the lock (docs/security.md).
    if (body.host !== undefined && body.host !== HERE.host) return expired;
    // Same host, another boot: every pid of that boot is gone.
    if (body.bootId && HERE.bootId && body.bootId !== HERE.bootId) return true;
    // Our own pid on a lock we do not hold is a previous incarnation (containers reuse low pids).
    if (body.pid === process.pid && body.token !== this.token) return true;
    if (!pidAlive(body.pid)) return true;
    return expired;
  }

  private async tryCreate(body: LockBody): Promise<boolean> {
    try {
      const fh = await open(this.file, 'wx', 0o644);
      try {
        await fh.writeFile(JSON.stringify(body));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  private async readOwner(): Promise<{ body: LockBody; mtimeMs: number } | null> {
    try {
      const [text, st] = await Promise.all([readFile(this.file, 'utf8'), stat(this.file)]);
      try {
        return { body: JSON.parse(text) as LockBody, mtimeMs: st.mtimeMs };
      } catch {
        // A crash between create and write leaves an empty file: treat it as a dead owner.
        return { body: { pid: -1, createdAt: '', token: '' }, mtimeMs: st.mtimeMs };
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Moves the stale lock aside atomically, then checks it was really the stale one: if another process
   * took over first, its fresh lock is put back (link fails if yet another one exists, which is fine too).
   */
  private async takeOver(stale: LockBody): Promise<void> {
    const aside = `${this.file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(this.file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let moved: LockBody | null = null;
    try {
      moved = JSON.parse(await readFile(aside, 'utf8')) as LockBody;
    } catch {
      moved = null;
    }
    if (moved && moved.token !== stale.token) await link(aside, this.file).catch(() => undefined);
    else this.log?.warn({ pid: stale.pid, createdAt: stale.createdAt }, 'recovered a stale deploy lock');
    await rm(aside, { force: true });
  }
}
