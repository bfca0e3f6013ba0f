// The names an unpack has claimed: each exact path once, as a file or a folder, and no two that this
// filesystem could fold into one (the rules per name are in core/bundle/entry-path.ts).
import { foldName } from '../../core/bundle/entry-path.js';
import { BundleError } from '../../core/bundle/errors.js';

export class EntryNames {
  /** Exact path → what it is; 'implicit' = a folder created for a file below it. */
  private readonly kinds = new Map<string, 'file' | 'dir' | 'implicit'>();
  /** Folded name → the exact name that claimed it first. */
  private readonly folded = new Map<string, string>();

  private claim(p: string): void {
    const key = foldName(p);
    const owner = this.folded.get(key);
    if (owner !== undefined && owner !== p) {
      throw new BundleError('name-collision', `${JSON.stringify(p)} collides with ${JSON.stringify(owner)}`);
    }
    this.folded.set(key, p);
  }

  /** Claims `p` and its folders, or throws: a duplicate, a file that is also a folder, a folded collision. */
  register(p: string, kind: 'file' | 'dir'): void {
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const anc = segments.slice(0, i).join('/');
      this.claim(anc);
      const k = this.kinds.get(anc);
      if (k === 'file')
        throw new BundleError('path-conflict', `${JSON.stringify(anc)} is a file and a folder`);
      if (k === undefined) this.kinds.set(anc, 'implicit');
    }
    this.claim(p);
    const existing = this.kinds.get(p);
    if (existing === 'file' || existing === 'dir') {
      throw new BundleError('duplicate-entry', `${JSON.stringify(p)} appears twice`);
    }
    if (existing === 'implicit' && kind === 'file') {
      throw new BundleError('path-conflict', `${JSON.stringify(p)} is a folder and a file`);
    }
    this.kinds.set(p, kind);
  }
}
