import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('process exit after streams', () => {
  it('lets the process exit by itself once every stream has ended, however it ended', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/streamExitScript.ts'], {
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
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (exitCode) => {
        clearTimeout(kill);
        resolve(exitCode);
      });
    });
    const exitedAfterMs = Date.now() - (settledAt ?? Number.NaN);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('settled ok,ok,failed,failed,failed,ok,failed\n');
    // Far below every timer a stream could have left (200 ms aside: 60 s, 5 min, 10 min).
    expect(exitedAfterMs).toBeLessThan(2_000);
  });
});
