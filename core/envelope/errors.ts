// Envelope errors: stable codes the receiver maps to 401 reasons and the CLI prints.

export type EnvelopeErrorCode =
  'malformed' | 'bad-payload-type' | 'bad-signature' | 'no-keys' | 'bad-payload';

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
