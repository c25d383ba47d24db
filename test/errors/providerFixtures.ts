import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyError } from '../../src/errors/classifyError.js';
import type { ErrorKind, ErrorProvider } from '../../src/errors/ErrorClassification.js';
import { retryAfterMs } from '../../src/errors/retryAfter.js';
import { type FakeOpenAI, type Reply, replies, startFakeOpenAI } from '../../src/testing/index.js';

/** One case of a test/fixtures/PROVIDER-errors.json file: an error reply and the required answer. */
export interface ProviderCase {
  name: string;
  status: number;
  /** Response headers; a value `now+2000ms` is sent as the RFC 3339 time 2 s from now. */
  headers: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  /** For SDKs that wrap several APIs (the AI SDK): which one the case goes through. */
  via?: string;
  /** How many requests the call makes: 1 (the default) with the SDK's own retries off. */
  requests?: number;
  expect: {
    kind: ErrorKind;
    retryable: boolean;
    breakerFailure: boolean;
    provider?: ErrorProvider;
    code?: string;
    type?: string;
    requestId?: string;
    /** The exact wait hint; absent means no hint (unless `retryAfterMsBetween` is given). */
    retryAfterMs?: number;
    /** For hints computed from a clock time: the bounds the hint must fall in. */
    retryAfterMsBetween?: [number, number];
  };
}

/** Every case of test/fixtures/`file`. */
export function fixtureCases(file: string): ProviderCase[] {
  const url = new URL(`../fixtures/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: ProviderCase[] }).cases;
}

const CLOCK = /^now\+(\d+)ms$/;

/** The headers of a case, clock-relative values turned into RFC 3339 times (whole seconds, rounded up). */
function headersOf(fixture: ProviderCase): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fixture.headers)) {
    const clock = CLOCK.exec(value);
    headers[name] =
      clock === null
        ? value
        : new Date(Math.ceil((Date.now() + Number(clock[1])) / 1000) * 1000)
            .toISOString()
            .replace('.000Z', 'Z');
  }
  return headers;
}

/** The fake server's reply for a case. */
export function replyOf(fixture: ProviderCase): Reply {
  return fixture.rawBody === undefined
    ? replies.status(fixture.status, fixture.body, headersOf(fixture))
    : replies.raw(fixture.status, fixture.rawBody, headersOf(fixture));
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** What a call threw; fails the test when it did not throw. */
export async function thrownBy(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** Checks the classification of `error` against the case's required answer. */
export function expectClassified(error: unknown, fixture: ProviderCase): void {
  const result = classifyError(error);
  const { retryAfterMs: hint, retryAfterMsBetween, ...rest } = fixture.expect;
  expect(result).toMatchObject(rest);
  if (retryAfterMsBetween === undefined) {
    expect(result.retryAfterMs).toBe(hint);
    expect(retryAfterMs(error)).toBe(hint);
  } else {
    expect(result.retryAfterMs).toBeGreaterThanOrEqual(retryAfterMsBetween[0]);
    expect(result.retryAfterMs).toBeLessThanOrEqual(retryAfterMsBetween[1]);
  }
  expect(JSON.stringify(result)).not.toMatch(/test-key|secret/);
}

/**
 * The table test of one provider: for each case of `file`, the fake server answers with it,
 * `call` makes one request with the provider's real SDK (its own retries off) over HTTP, and the
 * error it throws must classify as the case requires, after exactly one request.
 */
export function describeProviderErrors(
  label: string,
  file: string,
  call: (fake: FakeOpenAI, fixture: ProviderCase) => Promise<unknown>,
): void {
  describe(`${label}: the errors of test/fixtures/${file} over HTTP`, () => {
    let fake: FakeOpenAI;
    beforeAll(async () => {
      fake = await startFakeOpenAI();
    });
    afterAll(async () => {
      await fake.close();
    });

    it.each(fixtureCases(file))('$name', async (fixture) => {
      fake.setScript(replyOf(fixture));
      const before = fake.requests.length;
      const error = await thrownBy(() => call(fake, fixture));
      expect(fake.requests.length - before).toBe(fixture.requests ?? 1);
      expectClassified(error, fixture);
    });
  });
}
