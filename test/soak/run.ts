/**
 * Runs the soak test (soak.ts) in a child process with --expose-gc, streams its output, and
 * checks that the child exits by itself once it has printed its verdict: a timer or handle left
 * behind by the library would keep it alive. Exit code 0 only if the soak passed and the child
 * exited on its own within EXIT_GRACE_MS.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const EXIT_GRACE_MS = 5_000;
const TIME_LIMIT_MS = 15 * 60_000;

const child = spawn(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', resolve(import.meta.dirname, 'soak.ts')],
  { stdio: ['ignore', 'pipe', 'inherit'], env: process.env },
);

let verdictAt: number | undefined;
let output = '';
child.stdout.on('data', (data: Buffer) => {
  process.stdout.write(data);
  output += data.toString();
  if (verdictAt === undefined && /soak: (PASS|FAIL)/.test(output)) verdictAt = Date.now();
});

const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
const started = Date.now();
let verdict = 'exited' as 'exited' | 'hung' | 'timeout';
const watchdog = setInterval(() => {
  if (verdictAt !== undefined && Date.now() - verdictAt > EXIT_GRACE_MS) verdict = 'hung';
  else if (Date.now() - started > TIME_LIMIT_MS) verdict = 'timeout';
  if (verdict !== 'exited') child.kill('SIGKILL');
}, 100);

const code = await exited;
clearInterval(watchdog);
const exitMs = verdictAt === undefined ? undefined : Date.now() - verdictAt;
if (verdict === 'hung') {
  console.error(
    `soak: the process did not exit within ${EXIT_GRACE_MS} ms of finishing (a timer or handle was left behind)`,
  );
  process.exitCode = 1;
} else if (verdict === 'timeout') {
  console.error(`soak: did not finish within ${TIME_LIMIT_MS / 60_000} minutes`);
  process.exitCode = 1;
} else {
  console.log(
    `soak: the process exited by itself ${exitMs ?? '?'} ms after its verdict, code ${code}`,
  );
  process.exitCode = code === 0 ? 0 : 1;
}
