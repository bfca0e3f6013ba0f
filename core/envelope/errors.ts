// Envelope errors: stable codes the receiver maps to 401 reasons and the CLI prints.

export type EnvelopeErrorCode =
  'malformed' | 'bad-payload-type' | 'bad-signature' | 'no-keys' | 'bad-payload' | OidcErrorCode;

/** Why an OIDC token was refused (docs/receiver.md lists them). `oidc-unavailable` is the only retryable one. */
export type OidcErrorCode =
  | 'oidc-malformed'
  | 'oidc-alg'
  | 'oidc-bad-signature'
  | 'oidc-unknown-key'
  | 'oidc-unavailable'
  | 'oidc-issuer'
  | 'oidc-audience'
  | 'oidc-expired'
  | 'oidc-not-yet-valid'
  | 'oidc-repository'
  | 'oidc-repository-id'
  | 'oidc-ref'
  | 'oidc-workflow'
  | 'oidc-environment'
  | 'oidc-payload-mismatch';

export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'EnvelopeError';
  }
}

/** A key that cannot be used (wrong type, too short). Messages never include key material. */
export class KeyError extends Error {
  readonly code = 'bad-key';
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}
