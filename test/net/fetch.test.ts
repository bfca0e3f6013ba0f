// core/fetch.ts against a real local server: what the timeout bounds, and whose abort wins.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchWithTimeout } from '../../core/fetch.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

/** A server that answers with `handler`; its URL. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

const silent = () => serve(() => undefined);
const headersThenSilence = () =>
  serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part');
  });

describe('fetchWithTimeout', () => {
  it('gives up on a server that never answers, with a TimeoutError', async () => {
    const url = await silent();
    for (const until of ['headers', 'body'] as const)
      await expect(fetchWithTimeout(url, { timeoutMs: 50, until })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
  });

  it('by default also bounds reading the body', async () => {
    const res = await fetchWithTimeout(await headersThenSilence(), { timeoutMs: 100 });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it("rejects with the caller's own abort reason when the caller aborts first", async () => {
    const url = await silent();
    const ctl = new AbortController();
    const reason = new Error('stopping');
    const pending = fetchWithTimeout(url, { timeoutMs: 60_000, signal: ctl.signal, until: 'headers' });
    ctl.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('answers as fetch does when the server is quick', async () => {
    const url = await serve((_req, res) => res.end('ok'));
    const res = await fetchWithTimeout(url, { timeoutMs: 5000, until: 'headers' });
    expect(await res.text()).toBe('ok');
  });
});
