import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function runDemo(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const { OPENAI_API_KEY: _key, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', 'examples/demo/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...rest, NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
}

/** The summary table's rows, by chapter title. */
function summaryRows(stdout: string): Map<string, string[]> {
  const lines = stdout.slice(stdout.indexOf('\nSummary')).split('\n').slice(3);
  const rows = new Map<string, string[]>();
  for (const line of lines) {
    const cells = line.trim().split(/ {2,}/);
    if (cells.length >= 8 && cells[0]) rows.set(cells[0], cells);
  }
  return rows;
}

describe('npm run demo', () => {
  it('tells the whole story against the fake server and exits 0 with a summary', () => {
    const { status, stdout, stderr } = runDemo();
    expect(stderr).toBe('');
    expect(status).toBe(0);
    // Plain output when not on a TTY (NO_COLOR here): no escape codes.
    expect(stdout).not.toMatch(/\[\d+m/);
    const rows = summaryRows(stdout);
    // [chapter, calls, requests, retries, breaker waits, breaker, outcomes, time]
    expect([...rows.keys()]).toHaveLength(6);
    for (const [title, calls, requests, retries] of rows.values()) {
      if (title === 'fallback') continue; // its calls move on to the second server instead
      // Each call sends one request and each retry one more; a wait on the open breaker sends none.
      expect(Number(requests)).toBe(Number(calls) + Number(retries));
    }
    expect(stdout).toContain('breaker waits: attempts the open breaker held back (nothing sent)');
    const storm = rows.get('rate-limit storm');
    expect(storm?.[6]).toBe('ok 60');
    expect(Number(storm?.[2])).toBeLessThanOrEqual(120); // the gate wastes at most the first wave
    expect(stdout).toContain('chat.rateLimited');
    const outage = rows.get('503 outage');
    expect(outage?.[6]).toBe('ok 40');
    expect(outage?.[5]).toMatch(/^open > half-open > .*closed$/);
    expect(Number(outage?.[4])).toBeGreaterThan(0); // calls held back by the open breaker
    expect(stdout).toContain("This demo shortens the breaker's open time to 800 ms");
    expect(stdout).toContain('the chat preset opens for 1 s');
    expect(Number(outage?.[2])).toBeLessThan(60); // the open breaker kept calls off the server
    expect(rows.get('hanging request')?.slice(1, 4)).toEqual(['1', '2', '1']);
    expect(stdout).toContain('chat.timeout  attempt timeout after 1000 ms');
    const quota = rows.get('insufficient quota');
    expect(quota?.slice(1, 4)).toEqual(['1', '1', '0']);
    expect(quota?.[6]).toBe('quota 1');
    const stalled = rows.get('stalled stream');
    expect(stalled?.[6]).toBe('timeout 1');
    expect(stdout).toContain('stream interrupted after 8 chunk(s)');
    const fallback = rows.get('fallback');
    // Every call answered: by claude while the first server is down, then by gpt-4o-mini again.
    const answered = fallback?.[6]?.match(/^claude (\d+), gpt-4o-mini (\d+)$/);
    expect(Number(answered?.[1]) + Number(answered?.[2])).toBe(40);
    expect(Number(answered?.[2])).toBeGreaterThan(0);
    expect(fallback?.[5]).toMatch(/^open > half-open > .*closed$/);
    // The open breaker kept calls off the first server: fewer requests than calls.
    expect(Number(fallback?.[2])).toBeLessThan(25);
    expect(stdout).toContain(
      'ask.fallback  route gpt-4o-mini skipped (circuit open, nothing sent)',
    );
    // No secret or prompt content in the log.
    expect(stdout).not.toContain('sk-demo');
    expect(stdout).not.toContain('sk-ant-demo');
    expect(stdout).not.toContain('Hello!');
  }, 90_000);

  it('asks for OPENAI_API_KEY with --live when it is not set', () => {
    const { status, stderr } = runDemo(['--live']);
    expect(status).toBe(2);
    expect(stderr).toContain('OPENAI_API_KEY');
  });
});
