// Issue 13, class 5: data flow through Bash and MCP tools. Bash writes to a path a `Write:` classify pattern names
// carry that sink label; a read through any reader (known or not) labels the session; `mcp__*` tools are sinks
// unless their name says they only read; relative paths get labels as absolute ones do.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compilePolicy } from '../../src/policy/compile.ts';
import { flowCheck, type EvalContext } from '../../src/policy/evaluate.ts';
import { flowRole, mcpOnlyReads, MCP_READ_VERBS } from '../../src/policy/dataflow.ts';

const POLICY = compilePolicy({
  tools: { allow: ['*'] },
  dataFlow: {
    classify: {
      secret: ['Read:**/secrets/**', 'Read:**/.env'],
      public: ['Write:**/public/**', 'Bash:*curl*', 'mcp__github__*'],
    },
    flowRules: [{ deny: 'secret -> public' }],
  },
} as never);
const CTX: EvalContext = { root: '/project', realpath: (p) => p };
const SECRET = new Set(['secret']);
const NONE = new Set<string>();

const flow = (tool: string, input: object, held: ReadonlySet<string>) => flowCheck(POLICY, { tool, input }, held, CTX);
const refused = (tool: string, input: object, held = SECRET) => assert.ok(flow(tool, input, held).denied, `${tool} ${JSON.stringify(input)} should be refused`);
const passes = (tool: string, input: object, held = SECRET) => assert.not.ok(flow(tool, input, held).denied, `${tool} ${JSON.stringify(input)}: ${flow(tool, input, held).denied?.reason}`);
const labels = (tool: string, input: object) => flow(tool, input, NONE).newLabels.map((l) => l.label);

test('a Bash write to a path a Write: pattern classifies is that sink, however it writes', () => {
  for (const command of ['cat notes > public/x.txt', 'cp notes public/', 'tee public/out.txt < notes', 'echo hi >> /project/public/a',
    'cd public && cat notes > x', 'dd if=notes of=public/x', 'sed -n p notes > site/../public/x']) {
    refused('Bash', { command });
    passes('Bash', { command }, NONE); // nothing labelled held: the write itself is fine
  }
  passes('Bash', { command: 'cat notes > private/x.txt' });
  passes('Bash', { command: 'cp notes build/' });
  // The Write tool itself, as before.
  refused('Write', { file_path: '/project/public/x', content: '' });
});

test('a read through any reader labels the session: tables, unknown readers, and in the same line as the sink', () => {
  for (const command of ['cat secrets/key', 'look x secrets/key', 'ptx .env', 'mytool --in=secrets/key', 'grep -r x secrets/a', 'sort < .env']) {
    assert.ok(labels('Bash', { command }).includes('secret'), command);
  }
  assert.equal(labels('Bash', { command: 'cat notes' }), []);
  assert.equal(labels('Bash', { command: 'echo secrets/key' }), [], 'echo never opens its operands');
  // Read then write to a public path in one line: refused without any label held before.
  refused('Bash', { command: 'look x .env > public/leak' }, NONE);
  refused('Bash', { command: 'cp secrets/key public/' }, NONE);
});

test('relative paths label as the file they name under the project root', () => {
  assert.equal(labels('Read', { file_path: 'secrets/key' }), ['secret']);
  assert.equal(labels('Read', { file_path: '/project/secrets/key' }), ['secret']);
  refused('Write', { file_path: 'public/x', content: '' });
  passes('Write', { file_path: 'src/x.ts', content: '' });
});

test('mcp__ tools: sinks unless the name says they only read (a list of read verbs)', () => {
  for (const t of ['mcp__github__add_issue_comment', 'mcp__github__push_files', 'mcp__slack__reply_to_thread', 'mcp__github__merge_pull_request',
    'mcp__github__fork_repository', 'mcp__x__get_and_delete', 'mcp__x__doSomething', 'mcp__x__', 'mcp__x__run']) {
    assert.ok(flowRole(t).sink, `${t} is a sink`);
    assert.not.ok(mcpOnlyReads(t), t);
  }
  for (const t of ['mcp__github__get_file_contents', 'mcp__github__list_issues', 'mcp__github__search_code', 'mcp__x__getFileContents',
    'mcp__db__query', 'mcp__docs__fetch-page', 'mcp__k8s__describe_pod']) {
    assert.not.ok(flowRole(t).sink, `${t} only reads`);
    assert.ok(flowRole(t).source, t);
  }
  for (const verb of MCP_READ_VERBS) assert.ok(mcpOnlyReads(`mcp__s__${verb}_thing`), verb);
  refused('mcp__github__add_issue_comment', { body: 'x' });
  refused('mcp__github__push_files', { files: [] });
  passes('mcp__github__get_file_contents', { path: 'x' });
});

test.run();
