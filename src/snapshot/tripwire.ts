// While the single executable's startup snapshot is built, every module of the server is loaded and its heap frozen
// into the executable. Anything a module reads or makes per process at that moment would be baked in and shared by
// every run: an environment variable read at load keeps the build machine's value, random bytes repeat, a key would
// be the same in every copy of the binary, a descriptor or signal handler would belong to the build process.
//
// This module is imported first by src/main-snapshot.ts. When (and only when) a snapshot is being built it wraps the
// APIs that hand out per-process values and records every call made while the modules load and warm up; disarm()
// restores the originals and returns what was recorded, and main-snapshot.ts fails the build on any record. So the
// rule "nothing process-specific in the snapshot" is checked by the build itself, not by a reader's memory.
// Not loaded in the bundles run by node or Deno (src/main.ts): they never build a snapshot.
// Default imports on purpose: they are the modules' own export objects, the ones every other module calls through
// (a namespace import would be a copy, and wrapping a copy would watch nothing).
import childProcess from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { startupSnapshot } from 'node:v8';

export interface Finding {
  what: string;
  /** The first stack frames outside this file: where the call came from. */
  at: string;
}

const findings: Finding[] = [];
const restores: (() => void)[] = [];
let armed = false;

let inRecord = false;

function record(what: string): void {
  // Formatting a stack makes Node itself look at a few things (process.env, process.pid): not the modules' doing.
  if (!armed || inRecord) return;
  inRecord = true;
  try {
    const stack = new Error().stack;
    const frames = (stack ?? '').split('\n').slice(1).filter((l) => !/\brecord\b|\bwrapper\b|tripwire/.test(l));
    findings.push({ what, at: stack === undefined ? '(while Node formatted a stack trace)' : frames.slice(0, 4).map((l) => l.trim()).join(' <- ') });
  } finally {
    inRecord = false;
  }
}

type AnyFn = (...args: unknown[]) => unknown;

/** Replaces obj[name] (a function) by a recording pass-through; once disarmed the wrapper only passes through. */
function wrapMethod(obj: object, name: string, label: string): void {
  const target = obj as Record<string, unknown>;
  const desc = Object.getOwnPropertyDescriptor(target, name);
  const original = target[name];
  if (typeof original !== 'function') return;
  const wrapper = function (this: unknown, ...args: unknown[]) {
    record(label);
    return (original as AnyFn).apply(this, args);
  };
  try {
    Object.defineProperty(target, name, { value: wrapper, configurable: true, writable: true, enumerable: desc?.enumerable ?? true });
  } catch {
    return; // a frozen or non-configurable property: nothing to wrap (and nothing to restore)
  }
  restores.push(() => {
    if (desc) Object.defineProperty(target, name, desc);
    else delete target[name];
  });
}

/** Turns obj[name] (a value) into a recording getter until disarmed. */
function wrapValue(obj: object, name: string, label: string): void {
  const desc = Object.getOwnPropertyDescriptor(obj, name);
  if (!desc || !desc.configurable) return;
  const read = desc.get ? () => desc.get!.call(obj) : () => desc.value;
  Object.defineProperty(obj, name, {
    configurable: true,
    enumerable: desc.enumerable,
    get() {
      record(label);
      return read();
    },
    ...(desc.set || desc.writable ? { set: (v: unknown) => Object.defineProperty(obj, name, { ...desc, value: v }) } : {}),
  });
  restores.push(() => Object.defineProperty(obj, name, desc));
}

/** Starts recording (again). Called at import when a snapshot is being built. */
export function arm(): void {
  if (armed) return;
  armed = true;

  // The environment: any read at build time would be the build machine's.
  const env = process.env;
  const envProxy = new Proxy(env, {
    get(t, k) {
      if (typeof k === 'string') record(`process.env.${k}`);
      return Reflect.get(t, k);
    },
    has(t, k) {
      if (typeof k === 'string') record(`'${k}' in process.env`);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      record('keys of process.env');
      return Reflect.ownKeys(t);
    },
  });
  const envDesc = Object.getOwnPropertyDescriptor(process, 'env');
  if (envDesc?.configurable) {
    Object.defineProperty(process, 'env', { configurable: true, enumerable: envDesc.enumerable, get: () => envProxy });
    restores.push(() => Object.defineProperty(process, 'env', envDesc));
  }

  // Randomness and keys: drawn at build time, they would repeat in every run of the executable.
  for (const name of ['randomBytes', 'randomFill', 'randomFillSync', 'randomInt', 'randomUUID', 'getRandomValues', 'generateKey', 'generateKeySync', 'generateKeyPair', 'generateKeyPairSync', 'generatePrime', 'generatePrimeSync', 'createDiffieHellman', 'createECDH', 'diffieHellman']) {
    wrapMethod(crypto, name, `crypto.${name}()`);
  }
  const webcrypto = globalThis.crypto;
  if (webcrypto) {
    wrapMethod(webcrypto, 'getRandomValues', 'crypto.getRandomValues()');
    wrapMethod(webcrypto, 'randomUUID', 'crypto.randomUUID()');
    for (const name of ['generateKey', 'importKey', 'deriveKey', 'deriveBits', 'sign', 'encrypt']) wrapMethod(webcrypto.subtle, name, `crypto.subtle.${name}()`);
  }
  wrapMethod(Math, 'random', 'Math.random()');

  // Time captured at load would be the build's.
  wrapMethod(Date, 'now', 'Date.now()');
  const OriginalDate = Date;
  const DateProxy: DateConstructor = new Proxy(OriginalDate, {
    construct(target, args, newTarget): object {
      if (args.length === 0) record('new Date()');
      return Reflect.construct(target, args, newTarget === DateProxy ? target : newTarget);
    },
    apply(target, self, args) {
      record('Date()');
      return Reflect.apply(target, self, args);
    },
  });
  globalThis.Date = DateProxy;
  restores.push(() => {
    globalThis.Date = OriginalDate;
  });

  // Node prints its own warnings ("(node:PID) Warning: ..."; e.g. about built-ins in a snapshot, see scripts/sea.mjs)
  // from a 'warning' event, reading process.pid and the colour variables to do so: Node's doing, printed at build
  // time and not kept, so not recorded.
  const emit = process.emit;
  process.emit = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]) {
    if (event !== 'warning') return (emit as AnyFn).call(this, event, ...args);
    const was = inRecord;
    inRecord = true;
    try {
      return (emit as AnyFn).call(this, event, ...args);
    } finally {
      inRecord = was;
    }
  } as typeof process.emit;
  restores.push(() => {
    process.emit = emit;
  });

  // The process: signal and event handlers, identity, working directory, command line.
  for (const name of ['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']) wrapMethod(process, name, `process.${name}()`);
  for (const name of ['cwd', 'chdir', 'umask', 'getuid', 'geteuid', 'getgid', 'kill', 'exit']) wrapMethod(process, name, `process.${name}()`);
  for (const name of ['pid', 'ppid', 'argv', 'execArgv', 'execPath', 'title']) wrapValue(process, name, `process.${name}`);
  for (const name of ['stdin', 'stdout', 'stderr']) wrapValue(process, name, `process.${name}`);

  // Timers: a pending one hangs the build, a finished one would still have run in the build process.
  for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask']) wrapMethod(globalThis, name, `${name}()`);

  // Files and descriptors: opened at build time they are invalid later; read at build time they are the build's.
  for (const name of ['open', 'openSync', 'readFile', 'readFileSync', 'readdir', 'readdirSync', 'stat', 'statSync', 'lstat', 'lstatSync', 'existsSync', 'realpathSync', 'mkdirSync', 'writeFileSync', 'createReadStream', 'createWriteStream', 'watch']) {
    wrapMethod(fs, name, `fs.${name}()`);
  }
  for (const name of ['open', 'readFile', 'readdir', 'stat', 'mkdir', 'writeFile']) wrapMethod(fs.promises, name, `fs.promises.${name}()`);

  // The machine and the user.
  for (const name of ['homedir', 'hostname', 'userInfo', 'tmpdir', 'networkInterfaces', 'cpus']) wrapMethod(os, name, `os.${name}()`);

  // Children: none may exist at build time.
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) wrapMethod(childProcess, name, `child_process.${name}()`);
}

/** Stops recording, puts every wrapped API back and returns what was recorded. */
export function disarm(): Finding[] {
  armed = false;
  for (const restore of restores.splice(0).reverse()) restore();
  return findings.splice(0);
}

/** Records `what` as if a wrapped API had been called (for checks the wrappers cannot see). */
export function flag(what: string): void {
  record(what);
}

// Boolean(): Node 20 answers 1 or 0, not true or false. Read this only while modules load: the restored heap of
// the executable still holds the build's `true`, so it means nothing once the process runs.
export const building = Boolean(startupSnapshot?.isBuildingSnapshot?.());
if (building) arm();
