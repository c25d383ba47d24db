// Runs every example in examples/ as a user would, in a child process against the fake server
// (OPENAI_API_KEY removed), so that the examples cannot rot: each must exit by itself with code 0
// and print what it promises.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT_MS = 30_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `examples/<file>` as a user would, without an API key; killed after LIMIT_MS. */
function runExample(file: string): Run {
  const {
    OPENAI_API_KEY: _key,
    OPENAI_MODEL: _m,
    OPENAI_EMBEDDING_MODEL: _e,
    ...env
  } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: LIMIT_MS, // an example that does not exit by itself (a timer or a socket left) fails
  });
  return { code: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

function expectExit0(file: string): Run {
  const run = runExample(file);
  expect({ code: run.code, signal: run.signal }, `examples/${file} failed:\n${run.stderr}`).toEqual(
    { code: 0, signal: null },
  );
  return run;
}

describe('examples', { timeout: LIMIT_MS + 5_000 }, () => {
  it('chat-with-logging.ts: retries a 429 and a 500, logs them, prints the answer', () => {
    const { stdout, stderr } = expectExit0('chat-with-logging.ts');
    expect(stdout).toMatch(/^answer: Retries are cheap when they are paced\.$/m);
    expect(stdout).toMatch(/^requests that reached the server: 3$/m);
    expect(stderr).toContain('llm-resilience chat: rateLimited');
    // One line per event: the message, then the key fields.
    expect(
      stderr.match(/^llm-resilience chat: retry attempt=\d+ delayMs=\d+ kind=/gm),
    ).toHaveLength(2);
    expect(stdout).toContain('llm-resilience chat: success');
  });

  it('stream-to-stdout.ts: retries the failure before the first token, streams every chunk', () => {
    const { stdout, stderr } = expectExit0('stream-to-stdout.ts');
    expect(stdout).toBe('A stream either finishes or throws; it never just stops.\n');
    expect(stderr).toMatch(/^\[retry\] attempt 1 failed \(overloaded\)/m);
    // Seven content chunks and the final one carrying finish_reason.
    expect(stderr).toMatch(/^\[streamEnd\] completed: 8 chunks/m);
  });

  it('embeddings-bulk.ts: every call succeeds under the rate-limit gate, cold and with a budget', () => {
    const { stdout } = expectExit0('embeddings-bulk.ts');
    const perCall = (name: string) =>
      Number(
        new RegExp(`^${name}: \\d+ requests reached the server, ([\\d.]+) per call$`, 'm').exec(
          stdout,
        )?.[1],
      );
    expect(stdout).toMatch(/^embeddings: embedded 60\/60 texts \(1536 dimensions\) in [\d.]+ s$/m);
    expect(stdout).toMatch(/^embeddings:budgeted: embedded 60\/60 texts \(1536 dimensions\)/m);
    // Cold, the first wave of 60 meets a bucket of 20 (nothing is known yet); the gate paces the
    // rest.
    expect(perCall('embeddings')).toBeGreaterThan(1);
    expect(perCall('embeddings')).toBeLessThanOrEqual(2.5);
    // With the server's limit given as a budget, about one request per call.
    expect(perCall('embeddings:budgeted')).toBeGreaterThanOrEqual(1);
    expect(perCall('embeddings:budgeted')).toBeLessThanOrEqual(1.2);
  });

  it('fallback-model.ts: falls back to the cheaper model; the open breaker spares the main one', () => {
    const { stdout, stderr } = expectExit0('fallback-model.ts');
    expect(
      stdout.match(/^gpt-4o-mini answered: An answer from the cheaper model\.$/gm),
    ).toHaveLength(3);
    expect(stdout).toMatch(/^requests: 2 to gpt-4o, 3 to gpt-4o-mini$/m);
    expect(stderr).toContain('[break] chat:gpt-4o is open');
  });

  it('own-code.ts: every check of the user code passes', () => {
    const { stdout } = expectExit0('own-code.ts');
    expect(stdout.match(/^ok - /gm)).toHaveLength(5);
    expect(stdout).toContain('ok - summarize against the fake server');
  });

  it('anthropic-stream.ts: retries the overloaded_error event that came before the first token', () => {
    const { stdout, stderr } = expectExit0('anthropic-stream.ts');
    expect(stdout).toBe('Claude streams, the policy guards.\n');
    expect(stderr).toMatch(/^\[retry\] attempt 1 failed \(overloaded\)/m);
    expect(stderr).toMatch(/^\[streamEnd\] completed: 9 events$/m);
  });

  it('gemini-stream.ts: retries the 503 chunk, then throws on the stream cut before its end', () => {
    const { stdout, stderr } = expectExit0('gemini-stream.ts');
    expect(stdout).toBe('Half an ');
    expect(stderr).toMatch(/^\[retry\] attempt 1 failed \(overloaded\)/m);
    expect(stderr).toMatch(/^stream failed after 2 chunks: connection$/m);
  });

  it('ai-sdk-stream.ts: retries the 503 through fullStream, prints the whole answer', () => {
    const { stdout, stderr } = expectExit0('ai-sdk-stream.ts');
    expect(stdout).toBe('Read fullStream, keep the text.\n');
    expect(stderr).toMatch(/^\[retry\] attempt 1 failed \(overloaded\)/m);
    expect(stderr).toMatch(/^\[streamEnd\] completed: \d+ parts$/m);
    expect(stderr).not.toContain('APICallError');
  });
});
