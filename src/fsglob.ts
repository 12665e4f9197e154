// Expands a shell glob in a path against the file system, the way bash would before running the command, so that
// `cat .en?` or `cp .e* /tmp` is checked against the files it would really touch. Bounded: a glob that would match
// more than `limit` paths, or that reaches a directory it cannot read, returns null and the caller refuses.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileGlob, GlobError } from './policy/patterns.ts';

const META = /[*?[]/;

/** All existing paths an absolute glob names, or null when there are too many or a directory cannot be listed. */
export function expandPathGlob(absPattern: string, limit = 2000): string[] | null {
  let bases = ['/'];
  for (const seg of absPattern.split('/')) {
    if (seg === '') continue;
    if (!META.test(seg)) {
      bases = bases.map((b) => join(b, seg));
      continue;
    }
    let glob;
    try {
      glob = compileGlob(seg.replace(/[{}]/g, '\\$&'), 'path'); // braces were expanded by the shell already
    } catch (e) {
      if (e instanceof GlobError) return null;
      throw e;
    }
    const next: string[] = [];
    for (const b of bases) {
      let names: string[];
      try {
        names = readdirSync(b);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue; // nothing there: the glob matches nothing
        return null;
      }
      for (const n of names) {
        if (!glob.matches(n)) continue;
        next.push(join(b, n));
        if (next.length > limit) return null;
      }
    }
    bases = next;
  }
  return bases;
}
