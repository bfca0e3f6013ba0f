// syncfs(2) for Node, which has no binding for it: coreutils' (or busybox's) `sync -f`, run by one small shell.
//
// Why a long-lived shell: spawning `sync` straight from Node forks the whole Node process, which blocked the
// receiver's event loop for ~6 ms per flush, twice per deploy. The shell is started once (lazily) and forks
// only itself for each `sync -f`; it exits when our end of its stdin closes, so it never outlives us.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

/** Reads folder lines; answers `<exit status> <sync's error text on one line>` per folder. */
const HELPER = `while IFS= read -r d; do
  if e=$(sync -f -- "$d" 2>&1); then echo 0; else
    s=$?; printf '%s %s\\n' "$s" "$(printf '%s' "$e" | tr '\\n' ' ')"
  fi
done`;
/** The shell's answer when `sync` is not on PATH. */
const NOT_FOUND = 127;

interface Helper {
  child: ChildProcessWithoutNullStreams;
  path: string | undefined;
  waiting: ((line: string | null) => void)[];
}

let helper: Helper | null = null;

function startHelper(): Helper | null {
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn('/bin/sh', ['-c', HELPER], { stdio: 'pipe', env: process.env });
  } catch {
    return null;
  }
  const h: Helper = { child, path: process.env.PATH, waiting: [] };
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => h.waiting.shift()?.(line));
  const gone = () => {
    if (helper === h) helper = null;
    for (const w of h.waiting.splice(0)) w(null);
  };
  child.on('error', gone);
  child.on('exit', gone);
  child.stdin.on('error', gone);
  idle(h);
  return h;
}

/** Neither the shell nor its pipes keep the process alive while no flush is pending. */
function idle(h: Helper): void {
  h.child.unref();
  for (const pipe of pipes(h)) pipe.unref();
}

function busy(h: Helper): void {
  h.child.ref();
  for (const pipe of pipes(h)) pipe.ref();
}

/** The child's pipes are sockets (typed as plain streams): they hold the event loop like any handle. */
function pipes(h: Helper): Socket[] {
  return [h.child.stdout, h.child.stderr, h.child.stdin] as unknown as Socket[];
}

/** One flush by the shell: its status and error text, or null when the shell is not usable. */
function askHelper(dir: string): Promise<string | null> {
  // A folder name with a line break cannot go through the line protocol; a changed PATH needs a new shell.
  if (dir.includes('\n')) return Promise.resolve(null);
  if (helper && helper.path !== process.env.PATH) {
    helper.child.stdin.end();
    helper = null;
  }
  helper ??= startHelper();
  const h = helper;
  if (!h) return Promise.resolve(null);
  return new Promise((resolve) => {
    busy(h);
    h.waiting.push((line) => {
      if (h.waiting.length === 0) idle(h);
      resolve(line);
    });
    h.child.stdin.write(`${dir}\n`);
  });
}

function flushFailed(text: string): NodeJS.ErrnoException {
  const e = new Error(`sync -f failed: ${text}`) as NodeJS.ErrnoException;
  e.code = 'EIO';
  return e;
}

/** `sync -f dir` spawned directly: the way when the shell cannot be used. */
function runSyncDirectly(dir: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['-f', dir], { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve(true);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(false);
      reject(flushFailed(String(stderr).trim() || err.message));
    });
  });
}

/**
 * Flushes the whole file system that holds `dir`. Resolves false when `sync -f` cannot be run here (not Linux,
 * no `sync`): the caller then fsyncs file by file. A failed flush (an I/O error reported by the kernel) rejects.
 */
export async function syncFileSystem(dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const answer = await askHelper(dir);
  if (answer === null) return runSyncDirectly(dir);
  const space = answer.indexOf(' ');
  const status = Number(answer.slice(0, space === -1 ? undefined : space));
  if (status === 0) return true;
  if (status === NOT_FOUND) return false;
  throw flushFailed(answer.slice(space + 1).trim() || `exit status ${status}`);
}
