// GATEWAY_CHECK and its connection variables: defaults, validation, and errors that never echo a value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../receiver/config.js';

const base = { SKILL_SYNC_PUBLIC_KEYS: 'ed25519:AAAA' };

describe('gateway check configuration', () => {
  it('is off without a gateway URL or token, and report once either is set', () => {
    expect(loadConfig(base).gateway).toBeUndefined();
    expect(loadConfig({ ...base, OPENCLAW_GATEWAY_TOKEN: 'tok-123' }).gateway).toEqual({
      mode: 'report',
      url: 'ws://127.0.0.1:18789',
      token: 'tok-123',
      settleMs: 10_000,
    });
    expect(loadConfig({ ...base, OPENCLAW_GATEWAY_URL: 'ws://127.0.0.1:9999' }).gateway?.mode).toBe('report');
  });

  it('honours an explicit mode and deadline', () => {
    expect(
      loadConfig({ ...base, GATEWAY_CHECK: 'enforce', GATEWAY_SETTLE_TIMEOUT_MS: '2500' }).gateway,
    ).toEqual({
      mode: 'enforce',
      url: 'ws://127.0.0.1:18789',
      settleMs: 2500,
    });
    expect(
      loadConfig({ ...base, GATEWAY_CHECK: 'off', OPENCLAW_GATEWAY_TOKEN: 't' }).gateway,
    ).toBeUndefined();
  });

  it.each([
    ['GATEWAY_CHECK', 'maybe', /must be one of off, report, enforce/],
    ['OPENCLAW_GATEWAY_URL', 'http://user:s3cret@127.0.0.1:18789', /must be a ws:\/\/ or wss:\/\/ URL/],
    ['OPENCLAW_GATEWAY_URL', 'not a url s3cret', /is not a valid URL/],
    ['GATEWAY_SETTLE_TIMEOUT_MS', '5', /between 100 and 600000/],
  ])('%s=%s is refused, naming the variable', (name, value, why) => {
    let err: unknown;
    try {
      loadConfig({ ...base, GATEWAY_CHECK: 'report', [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toMatch(why);
    if (name === 'OPENCLAW_GATEWAY_URL') expect((err as Error).message).not.toContain('s3cret');
  });
});
