// The one OpenClaw release that skill-sync models: validation, limits, precedence and the tests follow it.
/**
 * Bump this to move to a new gateway: `scripts/openclaw.sh` installs exactly this version, and the differential
 * suite (test/gateway/) then shows every rule that must change with it. See docs/gateway.md.
 */
export const OPENCLAW_VERSION = '2026.9.6';

/** The name reports carry, so a verdict always says which gateway it speaks for. */
export const GATEWAY_ID = `openclaw@${OPENCLAW_VERSION}`;
