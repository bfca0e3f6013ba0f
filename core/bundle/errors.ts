// Bundle errors: one class with a stable code per refusal, so the receiver can count and report them.

export type BundleErrorCode =
  | 'path-traversal'
  | 'bad-name'
  | 'path-too-long'
  | 'too-deep'
  | 'link-entry'
  | 'special-entry'
  | 'unexpected-entry'
  | 'too-many-entries'
  | 'too-large'
  | 'file-too-large'
  | 'ratio'
  | 'duplicate-entry'
  | 'name-collision'
  | 'path-conflict'
  | 'manifest-invalid'
  | 'manifest-mismatch'
  | 'skill-md-missing'
  | 'corrupt-gzip'
  | 'corrupt-tar'
  | 'staging-not-empty'
  | 'changed-since-check';

export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'BundleError';
  }
}
