import { spawn } from 'node:child_process';

/** What a script run by {@link runUntilExit} printed, how it exited, and how soon after it said `settled`. */
export interface ExitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the script's `settled` line to its exit (NaN if it never said it). */
  exitedAfterMs: number;
}

/**
 * Runs `script` (a TypeScript file, via tsx) in a child process and waits for it to exit by
 * itself; kills it after `killAfterMs`. The script prints `settled ...` once its calls settled,
 * so the caller can check that nothing (a timer, a handle) kept the process alive after that.
 */
export async function runUntilExit(script: string, killAfterMs = 15_000): Promise<ExitRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let settledAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (settledAt === undefined && stdout.includes('settled')) settledAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (exitCode) => {
      clearTimeout(kill);
      resolve(exitCode);
    });
  });
  return { code, stdout, stderr, exitedAfterMs: Date.now() - (settledAt ?? Number.NaN) };
}
