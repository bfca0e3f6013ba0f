// Keyless verification cost: OidcVerifier.verify against a local issuer, cold (discovery + JWKS) and with a warm cache.
// Run: npm run --silent build && node lib/bench/oidc.js
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { OidcVerifier } from '../core/envelope/oidc-verify.js';

const N = 2000;
const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
let issuer = '';
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify(
      req.url?.endsWith('/openid-configuration') ? { issuer, jwks_uri: `${issuer}/jwks` } : { keys: [jwk] },
    ),
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const aud = `skill-sync:${'0'.repeat(64)}`;
const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({
  repository: 'acme/skills',
  ref: 'refs/heads/main',
  sha: 'a'.repeat(40),
  iss: issuer,
  aud,
  iat: now,
  nbf: now - 600,
  exp: now + 300,
})
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .sign(privateKey);
const verifier = new OidcVerifier({
  issuer,
  repository: 'acme/skills',
  refs: ['refs/heads/main'],
  workflows: [],
});

let t = performance.now();
await verifier.verify(token, aud, 'push');
const cold = performance.now() - t;
t = performance.now();
for (let i = 0; i < N; i++) await verifier.verify(token, aud, 'push');
const warm = ((performance.now() - t) / N) * 1000;
console.log(
  `oidc verify: cold (discovery + JWKS + verify) ${cold.toFixed(1)} ms; warm ${warm.toFixed(0)} µs per token (N=${N})`,
);
server.close();
