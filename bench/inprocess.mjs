// 3. In-process throughput (tinybench): evaluator decisions over the command corpus, token issue and verify,
// attestation sign+append. 4a. Evaluator time for Bash commands of 1, 10 and 100 KB.
import { build } from 'esbuild';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { log, REPO } from './lib/setup.mjs';

const require = createRequire(import.meta.url);

async function loadModules(ws) {
  const out = join(ws.work, 'inproc.cjs');
  await build({ entryPoints: [join(REPO, 'bench/inproc.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'warning', define: { AFLOCK_VERSION: '"bench"' } });
  return require(out);
}

/** The corpus: one command a line, a heredoc runs to its delimiter; `## name` starts a section, `#` comments. */
export function readCorpus(file = join(REPO, 'bench/corpus.txt')) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const entries = [];
  let section = 'ordinary';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('## ')) {
      section = line.slice(3).trim();
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    let command = line;
    const docs = [...line.matchAll(/<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g)].filter((m) => !line.slice(m.index).startsWith('<<<'));
    for (const m of docs) {
      const dash = m[1] === '-';
      const delim = m[3];
      while (++i < lines.length) {
        command += `\n${lines[i]}`;
        if ((dash ? lines[i].replace(/^\t+/, '') : lines[i]) === delim) break;
      }
    }
    // A heredoc inside $( ... ) ends with its delimiter, then the rest of the command on the next line.
    if (docs.length > 0 && /\$\(\s*cat\s*<</.test(line) && i + 1 < lines.length && /^\)/.test(lines[i + 1])) command += `\n${lines[++i]}`;
    entries.push({ section, command });
  }
  return entries;
}

function stats(task) {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${r.error ? `: ${r.error.stack}` : ''}`);
  return { samples: r.latency.samplesCount, medianMs: r.latency.p50, p99Ms: r.latency.p99, meanMs: r.latency.mean, opsPerSec: 1000 / r.latency.p50 };
}

export async function inProcess(ws, { time = 2000 } = {}) {
  const m = await loadModules(ws);
  const policy = m.loadPolicyFile(join(ws.project, '.aflock'));
  // As the server builds it for each call (src/tools/guard.ts evalContext): paths resolved as the kernel would, a path
  // that does not exist yet through its existing ancestors, remembered for one decision only.
  const context = () => ({ root: policy.root, cwd: policy.root, realpath: m.realpathOnce() });
  const held = new Set();
  // One decision as a guarded call makes it: evaluate, then data flow for what is allowed. `decide` starts from an
  // empty analysis cache (a command the server has not seen); `decideCached` keeps it (a command seen before).
  const decide = (call) => {
    m.clearAnalysisCache();
    return decideCached(call);
  };
  const decideCached = (call) => {
    const ec = context();
    const d = m.evaluateCall(policy.compiled, call, ec);
    if (d.decision !== 'allow') return d.decision;
    return m.flowCheck(policy.compiled, call, held, ec).denied ? 'deny' : 'allow';
  };

  // The corpus: what the evaluator says, by section (a sanity check that the policy is exercised, not a test).
  const corpus = readCorpus();
  const calls = corpus.map((e) => ({ tool: 'Bash', input: { command: e.command } }));
  const bySection = {};
  for (let i = 0; i < corpus.length; i++) {
    const d = decide(calls[i]);
    const s = (bySection[corpus[i].section] ??= { allow: 0, deny: 0, ask: 0 });
    s[d]++;
  }
  log(`corpus: ${corpus.length} commands; decisions by section ${JSON.stringify(bySection)}`);

  // Ordinary agent traffic is not only Bash: file reads and writes go through the same evaluator.
  const fileCalls = [
    { tool: 'Read', input: { file_path: join(ws.project, 'src/file4k.ts') } },
    { tool: 'Read', input: { file_path: join(ws.project, '.env') } },
    { tool: 'Write', input: { file_path: join(ws.project, 'src/new.ts'), content: 'x' } },
    { tool: 'Write', input: { file_path: join(ws.project, 'package-lock.json'), content: '{}' } },
    { tool: 'WebFetch', input: { url: 'https://registry.npmjs.org/jose' } },
  ];

  const tokens = await m.TokenAuthority.create('mcp-bench-session', policy.digest);
  const { token } = await tokens.issue({ sub: 'spiffe://aflock.ai/agent/bench/0.0.0/0', identityHash: '0'.repeat(64), ttlSeconds: 3600 });
  const trail = m.AuditTrail.open({ home: mkdtempSync(join(ws.work, 'trail-')), sessionId: 'mcp-bench-trail' });
  let seq = 0;
  const record = () =>
    trail.recordAction({
      tool: 'Bash',
      toolUseId: `bench-${++seq}`,
      input: { command: 'git status --short' },
      decision: 'allow',
      reason: '',
      identity: { identityHash: '0'.repeat(64), spiffeId: 'spiffe://aflock.ai/agent/bench/0.0.0/0', model: 'bench', modelSource: 'flag', environment: 'local', parentPid: process.pid },
      metrics: { toolCalls: seq, tools: { Bash: seq }, filesRead: 0, filesWritten: 0, decisions: { allow: seq, deny: 0, ask: 0 } },
      token: { jti: 'bench', sha256: 'a'.repeat(64) },
    });

  const bench = new Bench({ time, warmupTime: 300 });
  bench.add(`evaluator: whole corpus (${calls.length} Bash commands)`, () => {
    for (const c of calls) decide(c);
  });
  const seen = calls.slice(0, 100);
  for (const c of seen) decideCached(c);
  bench.add(`evaluator: ${seen.length} commands seen before (analysis cached)`, () => {
    for (const c of seen) decideCached(c);
  });
  bench.add(`evaluator: file and web calls (${fileCalls.length})`, () => {
    for (const c of fileCalls) decide(c);
  });
  bench.add('token issue (EdDSA JWT)', async () => {
    await tokens.issue({ sub: 'spiffe://aflock.ai/agent/bench/0.0.0/0', identityHash: '0'.repeat(64), ttlSeconds: 3600 });
  });
  bench.add('token verify', async () => {
    const v = await tokens.verify(token);
    if (!v.ok) throw new Error(v.reason);
  });
  bench.add('attestation sign + append (DSSE envelope file + audit line)', () => {
    record();
  });
  log('in-process: running tinybench');
  await bench.run();
  trail.close();
  const [corpusTask, seenTask, fileTask, issueTask, verifyTask, auditTask] = bench.tasks.map(stats);
  const out = {
    corpus: { commands: calls.length, bySection, pass: corpusTask, decisionsPerSec: (calls.length * 1000) / corpusTask.medianMs, perDecisionUs: (corpusTask.medianMs * 1000) / calls.length },
    corpusSeen: { commands: seen.length, pass: seenTask, decisionsPerSec: (seen.length * 1000) / seenTask.medianMs, perDecisionUs: (seenTask.medianMs * 1000) / seen.length },
    fileCalls: { calls: fileCalls.length, pass: fileTask, decisionsPerSec: (fileCalls.length * 1000) / fileTask.medianMs },
    tokenIssue: issueTask,
    tokenVerify: verifyTask,
    auditSignAppend: auditTask,
  };

  // Per-command cost over the corpus, to name the slowest kinds (median of 50 passes each).
  const per = calls.map(() => []);
  for (let k = 0; k < 50; k++) {
    for (let i = 0; i < calls.length; i++) {
      const t = performance.now();
      decide(calls[i]);
      per[i].push(performance.now() - t);
    }
  }
  const med = per.map((s) => s.sort((a, b) => a - b)[s.length >> 1]);
  out.corpus.slowest = med
    .map((ms, i) => ({ us: Math.round(ms * 1000 * 10) / 10, command: corpus[i].command.slice(0, 80).replace(/\n/g, '\\n') }))
    .sort((a, b) => b.us - a.us)
    .slice(0, 5);
  return { out, m, policy, decide };
}

/** 4a. Evaluator time for one Bash command of 1, 10 and 100 KB: a && chain of ordinary commands, and a heredoc commit. */
export async function evaluatorScaling(ctx, { time = 2000 } = {}) {
  const { decide } = ctx;
  const parts = ['git add src/a.ts', 'npm test -- --grep "token"', "grep -rn 'TODO' src | wc -l", 'cargo build --release', "sed -i 's/a/b/g' src/x.ts", 'pytest -q tests/test_policy.py'];
  const chain = (bytes) => {
    let s = parts[0];
    for (let i = 1; s.length < bytes; i++) s += ` && ${parts[i % parts.length]}`;
    return s;
  };
  const heredoc = (bytes) => {
    const head = "git commit -F - <<'EOF'\nA long commit message\n\n";
    let body = '';
    const line = 'Explains the change in plain words, seventy-odd characters per line.\n';
    while (head.length + body.length + 4 < bytes) body += line;
    return `${head}${body}EOF`;
  };
  const sizes = [1024, 10 * 1024, 100 * 1024];
  const bench = new Bench({ time, warmupTime: 200, iterations: 10 });
  const cases = [];
  for (const kind of ['chain', 'heredoc']) {
    for (const size of sizes) {
      const command = kind === 'chain' ? chain(size) : heredoc(size);
      const call = { tool: 'Bash', input: { command } };
      const decision = decide(call);
      cases.push({ kind, size, bytes: Buffer.byteLength(command), decision });
      bench.add(`${kind} ${size / 1024} KB`, () => decide(call));
    }
  }
  log('scaling: evaluator on 1/10/100 KB commands');
  await bench.run();
  return cases.map((c, i) => {
    const s = stats(bench.tasks[i]);
    return { ...c, medianMs: s.medianMs, p99Ms: s.p99Ms, usPerKB: (s.medianMs * 1000) / (c.bytes / 1024), samples: s.samples };
  });
}
