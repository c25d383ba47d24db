import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const vitestBin = resolve(root, 'node_modules/vitest/vitest.mjs');
const config = 'test/setup/fixtures/vitest.fixture.config.ts';

interface Run {
  code: number;
  output: string;
}

/** Runs one fixture file in a child Vitest (same Node binary), without the parent's VITEST_* state. */
function runFixture(file: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string> = { NO_COLOR: '1', ...extraEnv };
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('VITEST') && !(key in env)) env[key] = value;
  }
  return new Promise((done) => {
    execFile(
      process.execPath,
      [vitestBin, 'run', '--config', config, `test/setup/fixtures/${file}`],
      { cwd: root, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

// Each case runs a child Vitest, so these are slow-ish (about a second each).
describe('the unhandled-error hook (test/setup/unhandled.ts)', () => {
  it('fails a run whose test leaves a rejected promise unhandled', async () => {
    const run = await runFixture('rejection.fixture.ts');
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('unhandled rejection');
    expect(run.output).toContain('fixture: nobody handles this rejection');
  });

  it('fails a run whose test throws from a timer callback', async () => {
    const run = await runFixture('exception.fixture.ts');
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('uncaught exception');
    expect(run.output).toContain('fixture: thrown from a timer');
  });

  it('fails a run whose rejection surfaces after the test body returned', async () => {
    const run = await runFixture('late.fixture.ts');
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('fixture: rejected after the test body returned');
  });

  it('passes a clean run', async () => {
    const run = await runFixture('clean.fixture.ts');
    expect(run.output).toContain('1 passed');
    expect(run.code).toBe(0);
  });

  it('is what fails the run: without the hook the same bad fixture passes', async () => {
    const run = await runFixture('rejection.fixture.ts', { LLMR_NO_HOOK: '1' });
    expect(run.output).toContain('1 passed');
    expect(run.code).toBe(0);
  });
});
