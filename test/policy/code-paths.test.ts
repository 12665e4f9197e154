// Issue 13, class 1, the mini-languages: a path named inside text a command runs in a language of its own (inline
// code of any interpreter, an editor's commands, a database client's SQL, an awk or m4 program, a here-document fed
// to an interpreter) is an access to it, whatever the language. Decided through the evaluator with the server's
// own path resolution (links followed), in a real directory that holds the denied files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePolicy } from '../../src/policy/compile.ts';
import { codePaths } from '../../src/policy/bash-files.ts';
import { evaluateCall, flowCheck } from '../../src/policy/evaluate.ts';
import { analyzeShell } from '../../src/policy/shell/index.ts';
import { realpathOnce } from '../../src/tools/guard.ts';
import { expandPathGlob } from '../../src/fsglob.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'aflock-code-paths-')));
writeFileSync(join(root, '.env'), 'SECRET=1\n');
mkdirSync(join(root, 'secrets'));
writeFileSync(join(root, 'secrets', 'key'), 'KEY\n');
writeFileSync(join(root, 'notes.md'), 'notes\n');
symlinkSync('.env', join(root, 'settings')); // a link under an innocent name
test.after(() => rmSync(root, { recursive: true, force: true }));

const FILES = compilePolicy({ tools: { allow: ['Bash'] }, files: { deny: ['.env', 'secrets/**'] } } as never);
const ctx = () => ({ root, cwd: root, realpath: realpathOnce(), expandGlob: expandPathGlob, home: '/nonexistent-home' });
const decide = (command: string) => evaluateCall(FILES, { tool: 'Bash', input: { command } }, ctx());
const refused = (cmds: string[], why = /in the code it runs|accesses file|reads directory|names file/) => {
  for (const c of cmds) {
    const d = decide(c);
    assert.is(d.decision, 'deny', c);
    assert.match(d.reason, why, `${c}: ${d.reason}`);
  }
};
const allowed = (cmds: string[]) => {
  for (const c of cmds) {
    const d = decide(c);
    assert.is(d.decision, 'allow', `${c}: ${d.reason}`);
  }
};

test('codePaths: the words of code that could be paths, split where no path is spelled', () => {
  assert.equal(codePaths(`open F, ".env"; print <F>`), ['open', 'F', '.env', 'print']);
  assert.equal(codePaths(`git show HEAD:secrets/key`), ['git', 'show', 'HEAD', 'secrets/key']);
  assert.equal(codePaths(`readFileSync(process.env.HOME + "/.ssh/id_rsa")`), ['readFileSync', 'process.env.HOME', '/.ssh/id_rsa']);
  assert.equal(codePaths(`x = ~/.aws/credentials`), ['x', '~/.aws/credentials']);
});

test('inline code of any interpreter naming a denied file or tree is refused', () => {
  refused([
    `python3 -c 'print(open(".env").read())'`, `python3 -c "import shutil; shutil.copytree('secrets/', '/tmp/s')"`,
    `perl -e 'open F, ".env"; print <F>'`, `perl -E'say for <secrets/*>'`, `ruby -e 'File.write("secrets/new", "x")'`,
    `node -e 'console.log(require("fs").readFileSync(".env", "utf8"))'`, `node --eval='require("fs").readFileSync(".env")'`,
    `php -r 'echo file_get_contents(".env");'`, `lua -e 'print(io.open(".env"):read("a"))'`, `Rscript -e 'readLines(".env")'`,
    `deno eval 'Deno.readTextFileSync(".env")'`, `pwsh -c 'Get-Content .env'`, `bun -e 'Bun.file(".env")'`,
  ]);
});

test('an editor\'s commands, a database client\'s SQL, awk, m4 and make programs naming a denied file are refused', () => {
  refused([
    `vim -es -c 'r .env' -c 'w! /tmp/out' -c q notes.md`, `ex -sc 'r .env|w! /tmp/o|q' notes.md`, `vi +'r .env' notes.md`,
    `nvim --headless -c 'r .env|w! /tmp/o|q'`, `emacs --batch --eval '(insert-file-contents ".env")'`,
    `emacsclient -e '(find-file ".env")'`, `mysql -e 'source .env' db`, `mariadb --execute='source .env'`,
    `psql -c '\\i .env'`, `duckdb -c "select * from read_csv('secrets/key')"`, `awk '@include ".env"'`,
    `make --eval='include .env'`, `sqlite3 db "select 1; -- .env"`,
  ]);
  refused(['vim -S .env', 'emacs -l .env', 'psql -f .env', 'm4 .env', "man -P 'cat .env' ls"]);
});

test('debuggers, calculators and other languages with inline code; terminal multiplexers run what they are given', () => {
  refused([`gdb -batch -ex 'shell cat .env'`, `gdb -batch -ex 'python print(open(".env").read())' ./a.out`,
    `lldb -o 'platform shell cat .env'`, `dc -e '!cat .env'`, `gnuplot -e 'system("cat .env")'`, `octave --eval 'fileread(".env")'`,
    `racket -e '(file->string ".env")'`, `sbcl --eval '(load ".env")'`, `elixir -e 'File.read!(".env")'`,
    `tmux new-session -d 'cat .env > /tmp/x'`, `tmux new -d -s w cat .env`, `tmux run-shell 'cat .env'`,
    `screen -dmS x bash -c 'cat .env > /tmp/x'`]);
  refused([`tmux send-keys -t w 'cat .env' Enter`, `screen -X stuff 'cat .env'`, `tmux if-shell 'true' 'run-shell "cat .env"'`], /terminal input/);
  allowed([`gdb -batch -ex bt ./a.out`, `tmux new-session -d -s dev 'npm run dev'`, 'tmux ls', 'tmux attach -t dev', 'screen -ls', `dc -e '2 3 + p'`]);
});

test('a here-document fed to an interpreter is code: the paths it names are checked', () => {
  refused([`python3 - <<'EOF'\nprint(open(".env").read())\nEOF`, `node <<'EOF'\nrequire("fs").readFileSync("secrets/key")\nEOF`,
    `psql <<'EOF'\n\\copy t from '.env'\nEOF`, `ed -s notes.md <<'EOF'\nr .env\nw\nEOF`]);
  // The same here-document into a command that only stores it is data.
  allowed([`cat <<'EOF' > notes.md\nnever commit .env\nEOF`]);
});

test('a program decided at run time is hidden code: refused under file rules with its named reason', () => {
  refused(['python3 -c "$x"', 'perl -e "$CODE"', 'vim -c "$c" notes.md', 'mysql -e "$q"', 'sqlite3 db "$q"', 'node -e "$(cat x.js)"',
    'emacs --eval "$e"'], /non-literal program/);
  allowed(['python3 -c "print(1)" "$x"']); // a dynamic argument of literal code is data the code receives
});

test('a link under an innocent name is followed: the code names the file it resolves to', () => {
  refused([`python3 -c 'print(open("settings").read())'`, `perl -ne print settings`]);
});

test('false alarms: code that names no denied path runs, and messages are not code', () => {
  allowed([
    `python3 -c 'print("hello world")'`, `node -e 'console.log(1 + 1)'`, `perl -pi -e 's/foo/bar/g' notes.md`,
    `perl -ne 'print if /TODO/' notes.md`, `awk '{print $1}' notes.md`, `python3 -c 'import json,sys; print(json.load(sys.stdin))' < notes.md`,
    `git commit -m "ignore .env in docker"`, `vim -es -c '%s/a/b/g' -c wq notes.md`, `mysql -e 'select 1' db`, 'man ls',
    `emacs --batch --eval '(message "hi")'`,
  ]);
});

// Found by an attacker's review of the first version of this principle (each was allowed).
test('review: every inline option, programs on stdin, glued options, SQL operands, runtime here-documents', () => {
  refused([
    `perl -e 'print 1;' -e 'open F, ".env"; print <F>'`, `ruby -e x -e 'puts File.read(".env")'`, `node -pe 'require("fs").readFileSync(".env","utf8")'`,
    `node -p -e 'require("fs").readFileSync(".env","utf8")'`, `dc -e'[cat .env]x'`, `duckdb :memory: "select * from read_text('.env')"`,
    `perl -e 'print q~secrets/key~'`,
  ]);
  refused([`vim -es <<< 'r .env|%p|q!'`, `ex -s /dev/null <<'EOF'\nr .env\n%p\nq!\nEOF`, `vim -es -S /dev/stdin /dev/null <<< 'r .env|%p|q!'`,
    `python3 -m code <<< 'print(open(".env").read())'`, `python3 -i /dev/null <<'EOF'\nprint(open(".env").read())\nEOF`,
    `gdb -batch <<< 'shell cat .env'`, `gdb -batch -x /dev/stdin <<'EOF'\nshell cat .env\nEOF`, `awk -f /dev/stdin <<< 'BEGIN{getline l < ".env"; print l}'`,
    `sed -f /dev/stdin notes.md <<< '1r .env'`, `guile <<< '(display ".env")'`]);
  // Piped commands are unknowable, and a here-document or here-string that expands something is decided at run time.
  refused([`echo 'r .env|%p|q!' | vim -es`, `echo 'shell cat .env' | gdb -batch`, `echo x | awk -f -`, `echo '1r .env' | sed -f - notes.md`],
    /pipe to interpreter/);
  refused([`python3 <<EOF\nprint(open('.env$NOPE').read())\nEOF`, `python3 <<< "print(open('.env').read())$NOPE"`,
    `ed -s /dev/null <<EOF\nr .env$NOPE\n,p\nQ\nEOF`, `sqlite3 :memory: <<EOF\n.read secrets/key\n-- $HOME\nEOF`], /non-literal program/);
  allowed([`echo '{}' | python3 -m json.tool`, 'cat notes.md | vim -', `vim -es -c '%s/a/b/g' -c wq notes.md < /dev/null`]);
});

test('review: .. after a link is taken where the kernel takes it; /proc/self/cwd is the command\'s directory', () => {
  mkdirSync(join(root, 'src', 'sub'), { recursive: true });
  symlinkSync('src/sub', join(root, 'L'));
  refused(['cat L/../../secrets/key', 'cp L/../../.env /tmp/x', 'look x L/../../.env', `python3 -c 'open("L/../../.env")'`]);
  allowed(['cat L/../../notes.md']);
  refused(['cat /proc/self/cwd/secrets/key', 'cat /proc/thread-self/cwd/.env']);
});

test('review: no false alarm for a module, a table or a URL that shares a denied name', () => {
  allowed([`python3 -c 'import requests; requests.get("https://example.com/.env")'`]);
  // A bare word naming a denied directory is taken for it (`os.chdir("secrets")` then `open("key")` reads the tree):
  // Python's `import secrets` and a SQL table named `secrets` are refused where a `secrets/` directory is denied.
  refused([`python3 -c 'import secrets; print(secrets.token_hex())'`, `psql -c 'select * from secrets'`]);
  refused([`python3 -c "import shutil; shutil.copytree('./secrets', '/tmp/s')"`, `python3 -c 'open("//etc/x/.env")'`]);
});

// Found by a second attacker's review (each was allowed, and ran and printed the canary).
test('second review: input given to blocks, functions, nested strings, descriptors and exec is code for what reads it', () => {
  refused([`{ python3; } <<< 'print(open(".env").read())'`, `{ bash; } <<< 'cat .env'`, `( bash ) <<< 'cat secrets/key'`,
    `if true; then sh; fi <<'EOF'\ncat .env\nEOF`, `f() { bash; }; echo 'cat .env' | f`, `f() { python3; }; f <<< 'print(1)'`,
    `exec <<< 'cat .env'; bash`, `python3 3<<<'print(open(".env").read())' <&3`, `bash 3<<<'cat .env' <&3`,
    `python3 <<<'print(open(".env").read())' < /dev/stdin`, `sh -c python3 <<< 'print(1)'`, `bash -c 'bash' <<< 'cat .env'`,
    `eval python3 <<< 'print(1)'`, `su -c python3 <<< 'print(1)'`, `script -qc python3 /dev/null <<< 'print(1)'`,
    `bash /dev/fd/3 3<<'EOF'\ncat .env\nEOF`, `sed -n -f /dev/fd/3 notes.md 3<<<'r .env'`, `awk -f /dev/fd/3 3<<<'BEGIN{print 1}'`,
    `vim -es -S /dev/fd/3 notes.md 3<<<'r .env'`, `sqlite3 --init /dev/stdin :memory: .quit <<<'.shell cat .env'`,
    `make -f - <<'EOF'\nall:\n\t@cat .env\nEOF`, `make --file=/dev/stdin <<< $'all:\n\tcat .env'`, `script -q /dev/null <<< 'cat .env'`,
    `sg root <<< 'cat .env'`, `newgrp root <<< 'cat .env'`, `echo 'cat .env' > x.sh; bash < x.sh`, `echo 'r .env' > s.sed && sed -f s.sed notes.md`,
    `echo 'BEGIN{}' > x.awk && awk -f x.awk`,
  ], /./);
  allowed(['while read -r l; do echo "$l"; done < notes.md', `{ echo a; echo b; } > out.txt`, 'f() { git status; }; f']);
});

test('second review: option spellings, module arguments, REPL flags, xargs, names and wrappers', () => {
  refused([`node --redirect-warnings /dev/null -e 'require("fs").readFileSync(".env")'`, `perl '-M5;@ARGV=(".env");print<>' /dev/null`,
    `python3 -m timeit -n1 -r1 'print(open(".env").read())'`, `python3 -i -c pass <<< 'print(open(".env").read())'`, `node -i -e 0 <<< 'require("fs").readFileSync(".env")'`,
    `perl -d -e 1 <<< 'p \`cat .env\`'`, `printf '%s' 'x' | xargs -0 python3 -c`, `gdb -batch -eval 'python print(open(".env").read())'`,
    `gdb -batch --ex 'shell cat .env'`, `gdb -batch -ex='shell cat .env'`, `sqlite3 --cmd "select readfile('.env')" :memory: .quit`,
    `ipython3 -c 'print(open(".env").read())'`, `vimdiff -es -c 'r .env' -c '%p' -c 'q!' notes.md`, `vim.basic -es -c 'r .env'`,
    `perf stat -o /dev/null python3 -c 'print(open(".env").read())'`], /./);
  allowed([`python3 -m json.tool notes.md`, `perl -MList::Util=sum -e 'print sum(1,2)'`, `gdb -batch -ex bt ./a.out`]);
});

test('second review: directories of the line, glued values, links made in the line, /proc spellings, socat, file: URLs, globs', () => {
  refused([`python3 -c 'import os;os.chdir("secrets");print(open("key").read())'`, `node -e 'require("fs").readFileSync("secrets\\/key")'`,
    `perl -e '$u=q{http://x};@ARGV=q:.env:;print<>'`, `cd secrets && python3 -c 'print(open("key").read())'`, 'cd secrets && perl -ne print key',
    'env -C src cat ../secrets/key', 'env --chdir=src cat ../secrets/key', 'unshare --wd=src cat ../secrets/key', 'tar -Csecrets -cf - key',
    'ln -s src/sub lnk && cat lnk/../../secrets/key', 'ln -s src/sub lnk; cd lnk && cat ../../secrets/key', 'cd src && cat /proc/self/cwd/../secrets/key',
    'cat /proc//self/cwd/secrets/key', 'cat /proc/self/./cwd/secrets/key', 'socat -u OPEN:.env -', 'socat -u FILE:secrets/key -',
    `curl -s file://${root}/%2eenv`, `python3 -c 'print(open(glob.glob("secret?/key")[0]).read())'`, `perl -e 'open F,<secret?/key>; print <F>'`], /./);
  allowed(['cd src && ls', 'ln -s notes.md n2 && cat n2', 'tar -C src -cf /tmp/x.tar .', `python3 -c 'print(3 * 4)'`]);
});

// Found by a third, time-boxed review of the final changes.
test('third review: file: URL query and fragment, socat dual addresses, clusters, ~+ and ~-, <( ) into a shell, echo into xargs', () => {
  refused([`curl -s 'file://${root}/.env#x'`, `curl -s 'file://${root}/.env?x'`, `socat -u 'OPEN:.env!!STDOUT' STDOUT`,
    'tar -cvCsecrets -f - .', 'make -sCsecrets', 'cd ~+/secrets && cat key', 'cd ~+ && cd secrets && cat key',
    `bash <(echo 'cat .env')`, `source <(echo 'cat .env')`, 'echo .env | xargs cat', `printf '%s\n' secrets/key | xargs cat`], /./);
  refused(['cd src; cd ~-/secrets; cat key'], /unknown working directory|cannot be followed/);
  allowed(['ln -s ../lib node_modules/lib && npm test', 'ln -sf ../src out/src', 'ln -sfn ../../shared out/shared',
    'env -i PATH=$PATH npm test', 'tar -xzf x.tgz -C out', 'cc -O2 -o out main.c', 'gcc -Iinclude -Llib -lm x.c', 'echo hello | tr a-z A-Z',
    'diff <(sort a) <(sort b)']);
});

test('past the first 64 words, code is checked as spelled (no look-up per word of a long here-document)', () => {
  const filler = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
  refused([`python3 - <<'EOF'\n${filler}\nprint(open(".env").read())\nEOF`]);
  allowed([`python3 - <<'EOF'\n${filler}\nprint(open("settings").read())\nEOF`]); // the link is past the cap: the sandbox's to hold
});

test('data flow: a path named in code labels the session as a read of it would', () => {
  const df = compilePolicy({ tools: { allow: ['Bash'] }, dataFlow: { classify: { secret: ['Read:**/secrets/**'] }, flowRules: [{ deny: 'secret->public' }] } } as never);
  const flow = flowCheck(df, { tool: 'Bash', input: { command: `python3 -c "print(open('secrets/key').read())"` } }, new Set(), ctx());
  assert.equal(flow.newLabels.map((l) => l.label), ['secret']);
  assert.equal(analyzeShell(`python3 -c "print(1)"`).code, [{ text: 'print(1)', command: 'python3' }]);
});

test.run();
