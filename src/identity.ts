// Who the caller is. Over stdio the caller is the process that spawned us (it holds our pipes); we describe it from
// /proc but never trust names: the description is recorded, the pipe is the credential. The model is whatever the
// agent says it is (--model or its environment) and is marked self-reported.
import { createHash } from 'node:crypto';
import { statSync, readFileSync, readlinkSync, createReadStream } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessInfo {
  pid: number;
  startTime?: string;
  exe?: string;
  exeSha256?: string;
  cmdline?: string[];
  uid?: number;
}

export interface Identity {
  identityHash: string;
  spiffeId: string;
  model: string;
  modelVersion: string;
  modelSource: 'flag' | 'environment' | 'unknown';
  selfReported: true;
  /** `unknown` when the markers could not be inspected (no permission): an environment list then fails closed. */
  environment: { type: 'local' | 'container' | 'kubernetes' | 'unknown'; hostname?: string; containerId?: string; namespace?: string; podName?: string; userId?: number };
  parent: ProcessInfo | null;
  policyDigest: string;
  notes: string[];
}

const MODEL_ENV = ['AFLOCK_MODEL', 'ANTHROPIC_MODEL', 'CLAUDE_MODEL', 'CLAUDE_CODE_MODEL'];

/** aflock's version extraction from a model name (claude-opus-4-5-20251101 -> 4.5.20251101). */
export function modelVersion(model: string): string {
  let m = model.match(/(\d+)-(\d+)-(\d{8})$/);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  m = model.match(/(\d+)\.(\d+)\.(\d+)$/);
  if (m) return `${m[1]}.${m[2]}.${m[3]}`;
  m = model.match(/(\d+)-(\d+)$/);
  if (m) return `${m[1]}.${m[2]}.0`;
  m = model.match(/(\d+)$/);
  if (m) return `${m[1]}.0.0`;
  return '0.0.0';
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function readProc(pid: number): ProcessInfo {
  const info: ProcessInfo = { pid };
  const stat = safe(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (stat) {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    info.startTime = fields[19]; // field 22: start time in clock ticks since boot, defeats PID reuse
  }
  info.exe = safe(() => readlinkSync(`/proc/${pid}/exe`));
  const cmd = safe(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  if (cmd) info.cmdline = cmd.split('\0').filter((s) => s !== '');
  const status = safe(() => readFileSync(`/proc/${pid}/status`, 'utf8'));
  const uid = status?.match(/^Uid:\s+(\d+)/m);
  if (uid) info.uid = Number(uid[1]);
  return info;
}

function sha256File(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const h = createHash('sha256');
    let s: ReturnType<typeof createReadStream>;
    try {
      s = createReadStream(path);
    } catch {
      return resolve(undefined);
    }
    s.on('data', (d) => h.update(d));
    s.on('error', () => resolve(undefined));
    s.on('end', () => resolve(h.digest('hex')));
  });
}

/** A container id from cgroup v1 paths or, under cgroup v2, from the container's own bind mounts. */
function containerId(): string | undefined {
  const cgroup = safe(() => readFileSync('/proc/self/cgroup', 'utf8')) ?? '';
  const line = cgroup.split('\n').find((l) => /docker|containerd|libpod|crio/.test(l));
  const fromCgroup = line?.split('/').pop()?.replace(/^(docker-|libpod-|crio-|cri-containerd-)/, '').replace(/\.scope$/, '');
  if (fromCgroup && /^[0-9a-f]{12,}$/.test(fromCgroup)) return fromCgroup.slice(0, 12);
  const mounts = safe(() => readFileSync('/proc/self/mountinfo', 'utf8')) ?? '';
  const m = mounts.match(/\/(?:docker\/containers|containers\/storage\/[^/\s]+-containers|sandboxes)\/([0-9a-f]{64})\//);
  return m ? m[1].slice(0, 12) : undefined;
}

/** true / false, or undefined when the answer is unknown (no permission to look). */
function exists(p: string): boolean | undefined {
  try {
    statSync(p);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? false : undefined;
  }
}

function detectEnvironment(env: NodeJS.ProcessEnv, notes: string[]): Identity['environment'] {
  const host = safe(() => hostname());
  const k8s = exists('/var/run/secrets/kubernetes.io');
  const docker = exists('/.dockerenv');
  const podman = exists('/run/.containerenv');
  // Kubernetes first: a pod is also a container, and the namespace is the more useful name.
  if (k8s || safe(() => env.KUBERNETES_SERVICE_HOST)) {
    const ns = safe(() => readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim());
    return { type: 'kubernetes', hostname: host, podName: host, ...(ns ? { namespace: ns } : {}) };
  }
  if (docker || podman) {
    const id = containerId();
    return { type: 'container', hostname: host, ...(id ? { containerId: id } : {}) };
  }
  if (k8s === undefined || docker === undefined || podman === undefined) {
    notes.push('the container and Kubernetes markers could not be inspected (no permission): the environment is unknown');
    return { type: 'unknown', hostname: host };
  }
  return { type: 'local', hostname: host };
}

/** The five-component canonical string of the reference, hashed with SHA-256. */
export function identityHash(parts: { model: string; version: string; env: Identity['environment']; binary?: { name: string; version: string; path?: string; digest?: string }; tools: string[]; policyDigest: string; parent?: string }): string {
  const env: string[] = [`env:${parts.env.type}`];
  const kv = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '' && v !== 0) env.push(`${k}=${v}`);
  };
  if (parts.binary) kv('binary', `${parts.binary.name}@${parts.binary.version}`);
  kv('binary_path', parts.binary?.path);
  kv('binary_digest', parts.binary?.digest);
  kv('user', parts.env.userId);
  kv('hostname', parts.env.hostname);
  kv('container', parts.env.containerId);
  kv('namespace', parts.env.namespace);
  kv('pod', parts.env.podName);
  const canonical = [`model:${parts.model}@${parts.version}`, env.join(';'), `tools:${[...parts.tools].sort().join(',')}`, `policy:${parts.policyDigest}`, `parent:${parts.parent ?? ''}`].join('|');
  return createHash('sha256').update(canonical).digest('hex');
}

export function spiffeIdFor(model: string, version: string, hash: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
  return `spiffe://aflock.ai/agent/${clean(model)}/${clean(version)}/${hash.slice(0, 16)}`;
}

/** What the agent says about itself: the model and where it runs. Cheap, so it is known before the first call. */
export interface Claimed {
  model: string;
  modelSource: Identity['modelSource'];
  environment: Identity['environment'];
  notes: string[];
}

function claim(modelFlag: string | undefined, env: NodeJS.ProcessEnv): Claimed {
  const notes: string[] = [];
  let model = 'unknown';
  let modelSource: Identity['modelSource'] = 'unknown';
  if (modelFlag) {
    model = modelFlag;
    modelSource = 'flag';
  } else {
    let readable = true;
    for (const name of MODEL_ENV) {
      let v: string | undefined;
      try {
        v = env[name];
      } catch {
        readable = false; // Deno without --allow-env
        break;
      }
      if (v) {
        model = v;
        modelSource = 'environment';
        break;
      }
    }
    if (!readable) notes.push('the environment is not readable here (no permission): the model is unknown unless --model is given');
  }
  const environment = detectEnvironment(env, notes);
  const uid = safe(() => process.getuid?.());
  if (uid !== undefined && uid !== 0) environment.userId = uid;
  return { model, modelSource, environment, notes };
}

/**
 * Discovers the identity. The model and environment are read on first need (a few small reads); the parent process
 * and the hash of its executable are read in the background and `get()` waits for them, so start-up never waits on
 * a 100 MB file. The agent's binary is never run.
 */
export class IdentityProvider {
  private readonly ready: Promise<Identity>;
  private resolved: Identity | null = null;
  private claimedCache: Claimed | null = null;

  constructor(private readonly opts: { modelFlag?: string; policyDigest: string; env?: NodeJS.ProcessEnv }) {
    this.ready = this.discover();
    this.ready.then((id) => (this.resolved = id), () => undefined);
  }

  get(): Promise<Identity> {
    return this.ready;
  }

  /** The identity if discovery has finished, without waiting (the per-call path must not wait on hashing). */
  peek(): Identity | null {
    return this.resolved;
  }

  /** Model and environment, synchronously: what identity.allowedModels / allowedEnvironments are checked against. */
  claimed(): Claimed {
    return (this.claimedCache ??= claim(this.opts.modelFlag, this.opts.env ?? process.env));
  }

  private async discover(): Promise<Identity> {
    await new Promise((r) => setImmediate(r));
    const { model, modelSource, environment, notes: claimNotes } = this.claimed();
    const notes = [...claimNotes];
    const ppid = safe(() => process.ppid) ?? 0;
    let parent: ProcessInfo | null;
    if (safe(() => readFileSync('/proc/self/stat', 'utf8'))) {
      parent = readProc(ppid);
      if (parent.exe) {
        parent.exeSha256 = await sha256File(parent.exe);
        if (!parent.exeSha256) notes.push(`the parent's executable ${parent.exe} could not be read: no digest`);
      } else notes.push(`/proc/${ppid}/exe is not readable: the parent's executable is unknown`);
    } else {
      parent = { pid: ppid };
      notes.push('/proc is not readable here (another OS, or no read permission): the parent process is described by its pid only');
    }
    const version = modelVersion(model);
    const binary = parent.exe ? { name: parent.exe.split('/').pop() ?? '', version: '0.0.0', path: parent.exe, digest: parent.exeSha256 } : undefined;
    const hash = identityHash({ model, version, env: environment, binary, tools: [], policyDigest: this.opts.policyDigest });
    return {
      identityHash: hash,
      spiffeId: spiffeIdFor(model, version, hash),
      model,
      modelVersion: version,
      modelSource,
      selfReported: true,
      environment,
      parent,
      policyDigest: this.opts.policyDigest,
      notes,
    };
  }
}
