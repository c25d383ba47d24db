import { describe, expect, it } from 'vitest';
import { runUntilExit } from '../support/runUntilExit.js';

describe('process exit after streams', () => {
  it('lets the process exit by itself once every stream has ended, however it ended', async () => {
    const { code, stdout, stderr, exitedAfterMs } = await runUntilExit(
      'test/support/streamExitScript.ts',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe('settled ok,ok,failed,failed,failed,ok,failed\n');
    // Far below every timer a stream could have left (200 ms aside: 60 s, 5 min, 10 min).
    expect(exitedAfterMs).toBeLessThan(2_000);
  });
});
