import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('process exit', () => {
  it('lets the process exit by itself once every execute has settled', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/exitScript.ts'], {
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
    expect(stdout).toMatch(/^settled ok(,(ok|failed)){8}\n$/);
    // Far below every timer the calls could have left (30 s, 40 s, 180 s, 600 s).
    expect(exitedAfterMs).toBeLessThan(2_000);
  });
});
