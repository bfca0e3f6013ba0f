// Refusal: a request or release the receiver will not apply, with its HTTP status and a stable reason code.

export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
