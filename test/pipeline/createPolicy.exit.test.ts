import { describe, expect, it } from 'vitest';
import { runUntilExit } from '../support/runUntilExit.js';

describe('process exit', () => {
  it('lets the process exit by itself once every execute has settled', async () => {
    const { code, stdout, stderr, exitedAfterMs } = await runUntilExit(
      'test/support/exitScript.ts',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^settled ok(,(ok|failed)){8}\n$/);
    // Far below every timer the calls could have left (30 s, 40 s, 180 s, 600 s).
    expect(exitedAfterMs).toBeLessThan(2_000);
  });
});
