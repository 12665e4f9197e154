// A write that reaches every path under a directory (a tree write: `rm -r`, `chmod -R`, `mv dir`, `find dir -delete`,
// `rsync --delete`, `git clean -x`, `git checkout <tree-ish> -- dir`) is refused when the directory holds a denied or
// read-only path; git's commands that rewrite the working tree write the paths they name; and what no tool may write
// (the policy file) is refused to Bash as well. Decided through the evaluator against a real directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '../../src/policy/compile.ts';
import { evaluateCall, type EvalContext } from '../../src/policy/evaluate.ts';
import { analyzeShell } from '../../src/policy/shell/index.ts';
import { realpathOnce } from '../../src/tools/guard.ts';
import { expandPathGlob } from '../../src/fsglob.ts';
import { fileKind, walkTree } from '../../src/fstree.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-tree-writes-')));
const outside = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-tree-outside-')));
for (const d of ['cfg', 'src/lib', 'build/obj', 'node_modules/pkg', '.git']) mkdirSync(join(root, d), { recursive: true });
writeFileSync(join(root, 'package-lock.json'), '{}');
writeFileSync(join(root, 'cfg', '.env'), 'SECRET=1\n');
writeFileSync(join(root, 'src', 'lib', 'a.ts'), '');
writeFileSync(join(root, 'build', 'obj', 'a.o'), '');
writeFileSync(join(root, 'node_modules', 'pkg', 'index.js'), '');
writeFileSync(join(root, '.git', 'config'), '');
writeFileSync(join(root, '.aflock'), '{}');
symlinkSync(join(root, 'cfg'), join(outside, 'cfg-link')); // a way into cfg from elsewhere
symlinkSync(join(root, 'cfg'), join(root, 'build', 'cfg-link')); // a link inside an ordinary tree: rm removes the link
test.after(() => { rmSync(root, { recursive: true, force: true }); rmSync(outside, { recursive: true, force: true }); });

const POLICY = compilePolicy({ tools: { allow: ['Bash'] }, files: { deny: ['**/.env'], readOnly: ['package-lock.json', '.git/config'] } } as never);
const ctx = (over: Partial<EvalContext> = {}): EvalContext => ({
  root, cwd: root, realpath: realpathOnce(), expandGlob: expandPathGlob, walkTree, fileKind, home: '/nonexistent-home',
  protectedFiles: [join(root, '.aflock')], ...over,
});
const decide = (command: string, over: Partial<EvalContext> = {}) => evaluateCall(POLICY, { tool: 'Bash', input: { command } }, ctx(over));
const refused = (cmds: string[], why: RegExp, over: Partial<EvalContext> = {}) => {
  for (const c of cmds) {
    const d = decide(c, over);
    assert.is(d.decision, 'deny', c);
    assert.match(d.reason, why, `${c}: ${d.reason}`);
  }
};
const allowed = (cmds: string[], over: Partial<EvalContext> = {}) => {
  for (const c of cmds) {
    const d = decide(c, over);
    assert.is(d.decision, 'allow', `${c}: ${d.reason}`);
  }
};

test('a recursive write of a directory holding a denied or read-only path is refused, whatever the spelling', () => {
  refused(['rm -rf cfg', 'rm -r -f cfg', 'rm --recursive cfg', 'rm -Rf ./cfg/', 'rm -rf src/../cfg', 'rm -rf cfg -v', 'rm -rf -- cfg',
    'chmod -R 000 cfg', 'chown -R nobody cfg', 'chgrp -R nogroup cfg', 'mv cfg /tmp/elsewhere', 'find cfg -delete',
    'find cfg -type f -delete', 'rsync -a --delete src/ cfg/', 'rsync -a --remove-source-files cfg/ /tmp/x', 'rm -rf c?g', 'rm -rf {cfg,build}',
    'cd src && rm -rf ../cfg', 'find cfg -exec rm -rf {} +', 'find cfg -type f -exec rm {} \\;',
    'find cfg -execdir sed -i s/x/y/ {} +', `rm -rf ${outside}/cfg-link/`, 'timeout 5 rm -rf cfg', 'env rm -rf cfg',
    'sudo rm -rf cfg'],
  /changes everything under .*which holds denied 'cfg\/.env'/);
  refused(['rm -rf .', 'rm -rf ./', 'rm -rf *', 'chmod -R a-w .', 'find . -delete', 'rsync -a --delete src/ .'],
    /changes everything under .*which holds (read-only|denied) '(package-lock.json|cfg|cfg\/.env|.git\/config)'/, { protectedFiles: [] });
  refused(['rm -rf .git'], /holds read-only '.git\/config'/);
  refused(['rm -rf cfg'], /holds denied 'cfg\/.env'/, { cwd: root });
  refused(['rm -rf ../cfg'], /holds denied 'cfg\/.env'/, { cwd: join(root, 'src') });
});

test('git rewrites the paths it names, and a whole tree where the source is not the index', () => {
  refused(['git checkout package-lock.json', 'git checkout -- package-lock.json', 'git checkout HEAD~1 package-lock.json',
    'git restore package-lock.json', 'git restore --worktree --staged package-lock.json', 'git rm package-lock.json',
    'git mv package-lock.json old.json', 'git -C src checkout ../package-lock.json', 'git checkout -f -- package-lock.json'],
  /writes read-only file '.*package-lock.json'/);
  refused(['git checkout HEAD~3 -- .', 'git restore -s HEAD~1 .', 'git restore --source=main -- .', 'git rm -r .', 'git rm -rf .',
    'git clean -fdx', 'git clean -fX', 'git stash -u', 'git stash push --all', 'git mv cfg old-cfg', 'git -C cfg clean -fdx'],
  /changes everything under/);
  // Their ordinary forms: the index only, a new branch, a branch switch (content the line does not show), a plain
  // `git checkout .` (restores what the index holds), a clean without -x (keeps ignored files such as .env), a dry run.
  allowed(['git checkout .', 'git checkout -- src', 'git checkout main', 'git checkout -b feature', 'git switch main',
    'git restore --staged package-lock.json', 'git rm --cached -r .', 'git clean -fd', 'git clean -n -x', 'git stash',
    'git stash push -- src', 'git checkout HEAD~1 -- src', 'git mv src/lib/a.ts src/lib/b.ts', 'git rm -r build']);
});

test('git never touches .git in a tree write; rm does', () => {
  allowed(['git clean -fdx src', 'git checkout HEAD~1 -- src']);
  const onlyGit = compilePolicy({ tools: { allow: ['Bash'] }, files: { readOnly: ['.git/config'] } } as never);
  const noPolicyFile = ctx({ protectedFiles: [] });
  assert.is(evaluateCall(onlyGit, { tool: 'Bash', input: { command: 'git clean -fdx' } }, noPolicyFile).decision, 'allow');
  assert.is(evaluateCall(onlyGit, { tool: 'Bash', input: { command: 'rm -rf .' } }, noPolicyFile).decision, 'deny');
});

test('ordinary recursive work on trees that hold nothing protected is allowed', () => {
  allowed(['rm -rf build', 'rm -rf node_modules dist', 'rm -rf build/obj', 'chmod -R u+w src', 'find build -delete',
    "find . -name '*.o' -delete", "find . -name '*.o' -exec rm {} +", 'find build -exec rm -rf {} +',
    'find cfg -exec sed -n 1p {} +', 'mv build out', 'rsync -a --delete src/ build/', 'rm -rf /tmp/aflock-nothing-here',
    'rm -rf missing-dir']);
  // A link to a protected tree inside an ordinary one: rm removes the link, not what it points to.
  allowed(['rm -rf build']);
});

test('a tree too large or unreadable to check, or no way to walk it, is refused', () => {
  const small: EvalContext['walkTree'] = (dir, visit) => walkTree(dir, visit, 1);
  refused(['rm -rf src'], /too large to check/, { walkTree: small });
  refused(['rm -rf src'], /cannot be checked/, { walkTree: undefined });
  allowed(['rm -rf src'], { walkTree: (dir, visit) => walkTree(dir, visit, 100) });
  // A write that is not a tree write does not walk.
  allowed(['rm src/lib/a.ts'], { walkTree: undefined });
});

test('under files rules, the policy file is never Bash\'s to write, named or inside a tree, whatever they list', () => {
  const none = compilePolicy({ tools: { allow: ['Bash'] }, files: { deny: ['secrets/**'] } } as never);
  const d = (c: string) => evaluateCall(none, { tool: 'Bash', input: { command: c } }, ctx());
  for (const c of ['echo {} > .aflock', 'cp /tmp/x .aflock', 'sed -i s/a/b/ .aflock', 'mv .aflock x', 'git checkout HEAD~1 .aflock', 'tee .aflock', 'truncate -s0 ./.aflock']) {
    assert.is(d(c).decision, 'deny', c);
    assert.match(d(c).reason, /always read-only/, c);
  }
  for (const c of ['rm -rf .', 'rm -rf ../', 'mv . ../elsewhere']) assert.match(d(c).reason, /changes everything under .*which holds '.*\.aflock'/, c);
  for (const c of ['cat .aflock', 'rm -rf build', 'echo x > notes.md']) assert.is(d(c).decision, 'allow', c);
  // Without files rules the analysis checks no file a command touches (the conformance corpus: an empty policy allows
  // `rm -rf /`); the kernel sandbox keeps the policy file read-only for every command the server runs.
  for (const p of [{}, { tools: { allow: ['Bash'] } }]) {
    for (const c of ['rm -rf /', 'echo {} > .aflock']) assert.is(evaluateCall(compilePolicy(p as never), { tool: 'Bash', input: { command: c } }, ctx()).decision, 'allow', c);
  }
});

test('an attacker\'s review of tree writes: each way around it is refused', () => {
  const noPolicyFile = { protectedFiles: [] };
  // Abbreviated long options, as GNU getopt takes them.
  refused(['rm --recu -f cfg', 'rm --rec cfg', 'chmod --recu 000 cfg', 'chown --rec nobody cfg'], /changes everything under 'cfg'/);
  // find's name tests are names at any depth; anything but a plain AND of -name tests reaches every file.
  refused(['find . -name "*v" -delete', 'find . -iname "*.ENV" -delete', 'find . -maxdepth 1 -name cfg -exec rm -rf {} \\;',
    'find . -type f -name "*.json" -exec rm {} +'], /changes files named/, noPolicyFile);
  refused(['find . -regex ".*env" -delete', 'find . ! -name foo -delete', 'find . -name x -o -exec rm {} +', 'find . -exec rm -rf {} +'],
    /changes everything under '\.'/, noPolicyFile);
  // Operands the text does not name.
  refused(['echo cfg | xargs rm -rf', 'rm -rf "$PWD"', 'rm -rf $(echo cfg)', `find cfg -exec sh -c 'rm -rf "$1"' _ {} \\;`,
    "git rm ':(top)package-lock.json'", "git rm -rq ':!nothing'", "git rm ':(icase)CFG/.ENV'", 'git checkout HEAD~1 --pathspec-from-file=/tmp/l'],
  /does not name/);
  // Links made in the line, hard links, and links followed on disk.
  refused(['ln -s cfg z && chmod -R 000 z', 'ln -s cfg z && rm -rf z/', 'ln -s cfg z; find z/ -delete', 'ln -s package-lock.json z && echo x > z'],
    /through a link the same line creates/);
  refused(['ln package-lock.json z', 'link package-lock.json z'], /writes read-only file 'package-lock.json'/);
  refused(['cp -al cfg z'], /changes everything under 'cfg'/);
  symlinkSync('../cfg', join(root, 'src', 'l'));
  try {
    refused(['chown -RL nobody src', 'chgrp -R -L nogroup src', 'find -L src -delete'], /changes everything under 'src', which holds denied/);
    allowed(['chown -R nobody src', 'rm -rf src']); // without -L the link itself is changed, not cfg
  } finally {
    rmSync(join(root, 'src', 'l'));
  }
  // git: pathspec globs reach anything under their literal directory; another work tree is an unknown directory.
  refused(["git checkout HEAD~1 -- '*.env'", "git rm 'cfg*'", "git rm '*.env'"], /changes everything under '\.'/, noPolicyFile);
  refused(['git --work-tree=../cfg clean -fdx', 'GIT_WORK_TREE=../cfg git clean -fdx', 'git -c core.worktree=../cfg clean -fd'],
    /working directory that cannot be followed|changes everything/, noPolicyFile);
  refused(["git clean -fd -e '!.env'", 'git -c core.excludesFile=/dev/null clean -fd', 'git restore -SW .'], /changes everything under '\.'/, noPolicyFile);
  refused(['git config user.name x', 'git config --unset core.editor'], /writes read-only file '.git\/config'/);
  allowed(['git config --global user.name x', 'git config --get user.name', "git add '*.ts'", "git rm --cached '*.log'", "git rm 'build/*.o'"]);
  // Into a directory: the file written is dest/<name of the source>.
  refused(['cp /tmp/x/package-lock.json .', 'cp -t . /tmp/x/package-lock.json', 'install /tmp/x/package-lock.json .', 'mv /tmp/x/package-lock.json ./'],
    /writes read-only file '.*package-lock.json'/);
  refused(['mv /tmp/x/.aflock .', 'ln -sf /tmp/x/.aflock .'], /always read-only/);
  allowed(['cp /tmp/x/a.json .', 'mv src/lib/a.ts src/lib/b.ts', 'cp -r src build/', 'cp -T /tmp/x/y lockfiles']);
  // More tools that change a tree.
  refused(['setfacl -R -m u:nobody:r cfg', 'chattr -R +i cfg', 'trash-put cfg', 'rsync -a --remove-sent-files cfg/ /tmp/o/'], /changes everything under 'cfg\/?'/);
});

test('a second review: tools that replace, move away or rewrite what they are given, and other ways in', () => {
  const noPolicyFile = { protectedFiles: [] };
  refused(['gzip package-lock.json', 'xz package-lock.json', 'bzip2 package-lock.json', 'zstd --rm package-lock.json',
    'gunzip package-lock.json.gz', 'perl -pi -e s/1/2/ package-lock.json', "ruby -i -pe 'x' package-lock.json", 'sponge package-lock.json',
    'dos2unix package-lock.json', "rename 's/a/b/' package-lock.json", 'fallocate -p -o 0 -l 1 package-lock.json',
    'git stash push -- package-lock.json', 'git checkout-index -f package-lock.json', 'git remote add x /tmp', 'git push -u origin main',
    'git branch -m a b', 'git config --worktree a.b c', 'rsync -a /tmp/x/package-lock.json .'], /writes read-only file '.*(package-lock.json|\.git\/config)'/);
  refused(['gzip -r cfg', 'zip -rm /tmp/x.zip cfg', 'tar --remove-files -cf /tmp/x.tar cfg', 'rimraf cfg', 'gio trash cfg',
    'find cfg -exec cp /dev/null {} \\;', 'find cfg -exec env rm {} +', 'find cfg -exec dd of={} \\;', 'find cfg -exec git rm {} +',
    "find cfg -exec sh -c 'rm \"$1\"' _ {} \\;"], /changes (everything|files named .*) under 'cfg'/);
  refused(['git sparse-checkout set --no-cone src', 'git checkout-index -f -a'], /changes everything under '\.'/, noPolicyFile);
  refused(['shopt -s nocaseglob; rm -f PACKAGE-LOCK.JSO?', 'shopt -s nocaseglob; cat CFG/.EN?', 'shopt -s extglob\nrm -rf !(src)',
    'rm -rf @(cfg)'], /glob/);
  refused(['rm -rf /proc/self/fd/3/cfg 3<.', 'rm -rf /dev/fd/3/cfg 3<.', 'rm -f /proc/self/task/*/cwd/package-lock.json',
    'cat /proc/self/task/*/cwd/cfg/.env', 'cat /proc/1/root/etc/hostname'], /working directory that cannot be followed/);
  // The policy file named in code a command runs.
  refused([`python3 -c "open('.aflock','w')"`, `node -e "require('fs').rmSync('.aflock')"`, `perl -e 'unlink ".aflock"'`,
    "vim -es -c '%d|w! .aflock|q'"], /names '\.aflock' in the code it runs/);
  // Ordinary work: keeping copies, compressing to stdout, a link removed by name, a backup beside the file.
  allowed(['cp package-lock.json lock.bak', 'gzip -c package-lock.json > /tmp/lock.gz', 'gzip -k package-lock.json', 'zstd package-lock.json',
    'gzip build/obj/a.o', 'zip -r /tmp/src.zip src', 'perl -pe s/a/b/ package-lock.json', 'git stash', 'git push origin main',
    'git branch -d old', 'shopt -s nullglob; rm -f build/*.o', 'python3 -c "print(1)"'], noPolicyFile);
  symlinkSync('cfg', join(root, 'cfglink'));
  try {
    allowed(['rm -rf cfglink', 'mv cfglink old-link', 'unlink cfglink']); // the link goes, not what it points to
    refused(['rm -rf cfglink/', 'chmod -R 000 cfglink'], /changes everything under 'cfglink\/?'/);
  } finally {
    rmSync(join(root, 'cfglink'));
  }
});

test('the analysis marks tree writes in its result', () => {
  const tree = (c: string) => analyzeShell(c).files.filter((f) => f.tree).map((f) => `${f.command}:${f.path}`);
  assert.equal(tree('rm -rf a b'), ['rm:a', 'rm:b']);
  assert.equal(tree('rm a'), []);
  assert.equal(tree('git clean -fdx src'), ['git clean:src']);
  assert.equal(tree('git clean -fd'), []);
  assert.equal(tree('git checkout main -- src'), ['git checkout:src']);
  assert.equal(tree('git checkout -- src'), []);
  assert.equal(tree('rsync -a --delete a/ b/'), ['rsync:b/']);
  assert.equal(analyzeShell('git -C sub checkout f').files, [{ path: './sub/f', mode: 'write', command: 'git checkout' }]);
});

test.run();
