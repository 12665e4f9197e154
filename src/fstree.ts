// Walks a directory tree for the analyzer: a tree write (`rm -r dir`, `chmod -R`, `mv dir`) reaches every path under
// the directory, so the evaluator looks for a protected one there. Symbolic links are reported, not followed (rm
// removes a link, not what it points to). Bounded: a tree larger than the limit cannot be checked.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';

export type TreeVisit = (abs: string, dir: boolean) => 'stop' | 'skip' | 'go';

/**
 * Calls visit for every path under dir (not dir itself), depth first; 'skip' does not enter a directory, 'stop' ends
 * the walk. Returns 'stopped', 'done' (also when dir is not a directory), 'too-large' past `limit` entries, or
 * 'unreadable' when a directory cannot be listed.
 */
export function walkTree(dir: string, visit: TreeVisit, limit = 200_000, followLinks = false): 'done' | 'stopped' | 'too-large' | 'unreadable' {
  try {
    if (!lstatSync(dir).isDirectory()) return 'done';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Nothing there to reach; anything else (no permission, Deno without --allow-read) cannot be checked.
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'done' : 'unreadable';
  }
  try {
    return walk(dir, visit, limit, followLinks);
  } catch {
    return 'unreadable'; // a directory or link that cannot be resolved or looked at cannot be checked
  }
}

function walk(dir: string, visit: TreeVisit, limit: number, followLinks: boolean): 'done' | 'stopped' | 'too-large' | 'unreadable' {
  const stack = [dir];
  // Following links, each directory is entered once (a link may point back up the tree).
  const entered = new Set<string>(followLinks ? [realpathSync(dir)] : []);
  let entries = 0;
  while (stack.length > 0) {
    const d = stack.pop()!;
    let names;
    try {
      names = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue; // removed while we walked
      return 'unreadable';
    }
    entries += names.length;
    if (entries > limit) return 'too-large';
    for (const n of names) {
      // d is clean and absolute (realpath, or built here), a name has no `/`: plain concatenation is the join.
      let abs = d === '/' ? `/${n.name}` : `${d}/${n.name}`;
      let isDir = n.isDirectory();
      if (followLinks && n.isSymbolicLink()) {
        // What the link points to is what a command that follows links changes: visit that instead.
        try {
          abs = realpathSync(abs);
          isDir = statSync(abs).isDirectory();
        } catch {
          // dangling: nothing to reach through it
        }
      }
      const next = visit(abs, isDir);
      if (next === 'stop') return 'stopped';
      if (isDir && next === 'go') {
        if (followLinks) {
          const real = n.isSymbolicLink() ? abs : realpathSync(abs);
          if (entered.has(real)) continue;
          entered.add(real);
        }
        stack.push(abs);
      }
    }
  }
  return 'done';
}

/**
 * What is at a path: 'dir', 'file' (anything else that exists), 'link' (not followed), 'none', or 'unknown' when it
 * cannot be looked at (callers then assume the worst). With follow, links are followed ('link' never returned).
 */
export function fileKind(abs: string, follow: boolean): 'dir' | 'file' | 'link' | 'none' | 'unknown' {
  try {
    const st = follow ? statSync(abs) : lstatSync(abs);
    return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'none' : 'unknown';
  }
}
