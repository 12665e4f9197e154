// Option grammars: how a command's words split into options (with their values) and operands.

/** Option grammar of a command (and, for commands whose operands are files, what the operands are). */
export interface FileSpec {
  v?: string;              // short options taking a value (next word or the rest of the cluster)
  g?: string;              // short options taking an optional value from the rest of the cluster (sed -i.bak)
  vl?: string[];           // long options taking the next word (also accepted as --opt=value)
  vl2?: string[];          // long options taking the next two words (jq --arg name value)
  r?: string[];            // options whose value is a file read
  w?: string[];            // options whose value is a file written
  x?: string[];            // options whose value is a shell command the tool runs
  first?: 'skip' | 'write' | 'read';
  noPattern?: string[];    // options that carry the pattern/program, so the first operand is a file after all
  ops: 'read' | 'write' | 'rw' | 'copy' | 'move' | 'link' | 'inout' | 'none';
  inplace?: string[];      // flags that make the operands writes too (sed -i)
  tree?: string[] | true;  // flags that make the written operands whole trees (rm -r, chmod -R); true: always
  flagRe?: RegExp;         // only words matching this are options; other dash words are operands (chmod -x)
  stop?: string[];         // options after which the remaining words are not files (jq --args)
  target?: string[];       // options naming the destination directory (cp -t)
}

import type { Arg } from './types.ts';

export interface Scanned {
  operands: Arg[];
  opts: Array<{ name: string; value: Arg | undefined; value2?: Arg }>;
  flags: Set<string>;
}

/**
 * Splits arguments into options and operands with GNU getopt conventions (options may follow operands; `--` ends
 * them). With `stopAtOperand`, parsing stops at the first operand (wrappers: what follows is another command).
 */
export function scan(args: Arg[], spec: FileSpec, stopAtOperand = false): Scanned {
  const operands: Arg[] = [];
  const opts: Scanned['opts'] = [];
  const flags = new Set<string>();
  let endOpts = false;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const v = a.literal ? a.value : '';
    const optionLike = a.literal && !endOpts && v.length > 1 && v[0] === '-'
      && !(spec.flagRe && !v.startsWith('--') && !spec.flagRe.test(v));
    if (!optionLike) {
      if (stopAtOperand) { operands.push(...args.slice(k)); break; }
      operands.push(a);
      continue;
    }
    if (v === '--') {
      endOpts = true;
      if (stopAtOperand) { operands.push(...args.slice(k + 1)); break; }
      continue;
    }
    if (v.startsWith('--') || (spec.vl?.includes(v))) {
      const eq = v.indexOf('=');
      const nm = eq < 0 ? v : v.slice(0, eq);
      if (eq >= 0) opts.push({ name: nm, value: { ...a, value: v.slice(eq + 1), src: v.slice(eq + 1), tail: v.slice(eq + 1) } });
      else if (spec.vl2?.includes(nm)) { opts.push({ name: nm, value: args[k + 1], value2: args[k + 2] }); k += 2; }
      else if (spec.vl?.includes(nm)) { opts.push({ name: nm, value: args[k + 1] }); k++; }
      else flags.add(nm);
      if (spec.stop?.includes(nm)) break;
      continue;
    }
    for (let i = 1; i < v.length; i++) {
      const ch = v[i];
      const nm = `-${ch}`;
      if (spec.v?.includes(ch)) {
        const rest = v.slice(i + 1);
        if (rest) opts.push({ name: nm, value: { ...a, value: rest, src: rest, tail: rest } });
        else { opts.push({ name: nm, value: args[k + 1] }); k++; }
        break;
      }
      flags.add(nm);
      if (spec.g?.includes(ch)) break;
    }
  }
  return { operands, opts, flags };
}
