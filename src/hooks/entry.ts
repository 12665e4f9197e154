// dist/aflock-hook.cjs: the small entry Claude Code runs as a command hook (`node aflock-hook.cjs EVENT`). It only
// asks the live server over its socket, so it loads no SDK, zod or shell parser and starts about as fast as node
// itself (bench/hook.mjs). When there is no live server it hands the same input to the full program
// (`aflock-mcp.cjs hook EVENT --standalone`, beside it), which decides from the policy file. Fails closed: any error
// before a call refuses it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { askLiveServer, failureAnswer, readStdin } from './client.ts';

const HOOK_EVENTS = ['PreToolUse', 'PostToolUse', 'PostToolUseFailure'];

function print(answer: unknown): void {
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}

function standalone(event: string, text: string): Promise<void> {
  const full = join(__dirname, 'aflock-mcp.cjs');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [full, 'hook', event, '--standalone'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', (e) => {
      print(failureAnswer(event, `cannot start ${full}: ${e.message}`));
      resolve();
    });
    child.on('close', (code) => {
      if (code === 0 && out.trim()) process.stdout.write(out);
      else print(failureAnswer(event, `${full} exited ${code}`));
      resolve();
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

async function main(): Promise<void> {
  const event = process.argv[2];
  if (!event || !HOOK_EVENTS.includes(event)) {
    process.stderr.write(`usage: aflock-hook ${HOOK_EVENTS.join('|')}  (hook JSON on stdin)\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const text = await readStdin();
    const live = await askLiveServer(process.env.CLAUDE_CODE_SESSION_ID, event, JSON.parse(text));
    if (live.kind === 'answer') print(live.answer);
    else if (live.kind === 'error') print(failureAnswer(event, live.error));
    else await standalone(event, text);
  } catch (e) {
    print(failureAnswer(event, `the hook could not decide (${(e as Error).message})`));
  }
}

void main();
