// The one logger shape of the receiver's modules: pino in production, a capture or nothing in tests.

/** The subset of a pino logger that the engine, the deployer and the poller use. */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
