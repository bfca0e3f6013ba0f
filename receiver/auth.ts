// API-key middleware for the operator endpoints: constant-time compare, key from `x-api-key` or a Bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';

function digest(s: string): Buffer {
  // Hashing first gives equal-length buffers, so timingSafeEqual never leaks the key's length.
  return createHash('sha256').update(s).digest();
}

export function apiKeyAuth(apiKey: string | undefined, insecureDev: boolean) {
  const expected = apiKey === undefined ? undefined : digest(apiKey);
  return createMiddleware(async (c, next) => {
    if (!expected) {
      if (insecureDev) return next();
      return c.json(
        {
          error: { code: 'api-key-not-configured', message: 'set MANUAL_SYNC_API_KEY to use this endpoint' },
        },
        403,
      );
    }
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    const given = c.req.header('x-api-key') ?? bearer;
    if (given === undefined || !timingSafeEqual(digest(given), expected))
      return c.json({ error: { code: 'unauthorized', message: 'missing or wrong API key' } }, 401);
    return next();
  });
}
