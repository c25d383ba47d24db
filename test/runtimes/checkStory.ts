import type { RecordedRequest } from '../../src/testing/index.js';
import { DEFAULT_CONTENT } from '../../src/testing/index.js';
import { HINT_MS, STALL_CHUNKS } from './fakeScript.js';

/** What story.mjs reports of one call (see its `settle`). */
interface Settled {
  ok: boolean;
  value?: unknown;
  error?: { name?: string; kind: string; message: string };
  elapsedMs: number;
}

interface StoryEvent {
  name: string;
  kind?: string;
  scope?: string;
  delayMs?: number;
  waitMs?: number;
  outcome?: string;
}

interface Scene extends Settled {
  events: StoryEvent[];
  crashed?: Settled['error'];
}

/** The story's result, as story.mjs builds it. */
export interface StoryResult {
  rateLimit: Scene;
  outage: { calls: Settled[]; events: StoryEvent[]; crashed?: Settled['error'] };
  hang: Scene;
  stall: Scene & { chunks: string[]; idleMs: number };
  abort: Scene & { afterAbortMs: number | null };
}

/**
 * A bound on a duration measured in the runtime. The lower bounds are the behaviour (a wait
 * honoured, a timeout that does not fire early); the upper ones only catch a wait that never
 * ended, so they leave room for a loaded 2-core machine.
 */
const SLACK_MS = 2_000;
/** Timers may fire a millisecond or two early by another clock. */
const EARLY_MS = 10;

const names = (events: StoryEvent[]) => events.map((e) => e.name).join(',');

/**
 * Checks one runtime's story result against what the fake server saw, and returns what is
 * wrong (nothing when the runtime passed). The same checks for every runtime.
 */
export function checkStory(story: StoryResult, requests: RecordedRequest[]): string[] {
  const problems: string[] = [];
  const expect = (scene: string, holds: boolean, what: string, got: unknown) => {
    if (!holds) problems.push(`${scene}: expected ${what}, got ${JSON.stringify(got)}`);
  };
  const sent = (model: string) => requests.filter((r) => r.model === model);
  const within = (ms: number, low: number) => ms >= low - EARLY_MS && ms <= low + SLACK_MS;

  for (const [scene, value] of Object.entries(story)) {
    if (value?.crashed) problems.push(`${scene}: crashed: ${JSON.stringify(value.crashed)}`);
  }
  if (problems.length > 0) return problems;

  const { rateLimit, outage, hang, stall, abort } = story;
  const limited = sent('rateLimit');
  expect(
    '429 then 200',
    rateLimit.ok && rateLimit.value === DEFAULT_CONTENT,
    'the answer',
    rateLimit,
  );
  expect('429 then 200', limited.length === 2, '2 requests', limited.length);
  const gap = (limited[1]?.time ?? 0) - (limited[0]?.time ?? 0);
  expect('429 then 200', within(gap, HINT_MS.rateLimit), `the retry after the hint`, gap);
  expect(
    '429 then 200',
    names(rateLimit.events) === 'rateLimited,retry,success',
    'events',
    rateLimit.events,
  );
  expect(
    '429 then 200',
    rateLimit.events[0]?.waitMs === HINT_MS.rateLimit,
    'waitMs = hint',
    rateLimit.events[0],
  );

  const outcomes = outage.calls.map((c) => (c.ok ? 'ok' : c.error?.kind));
  expect(
    '503 outage',
    outcomes.join(',') === 'overloaded,overloaded,overloaded,aborted,ok',
    'outcomes',
    outcomes,
  );
  expect(
    '503 outage',
    /circuit breaker is open/.test(outage.calls[3]?.error?.message ?? ''),
    'refused by the open breaker',
    outage.calls[3],
  );
  expect(
    '503 outage',
    sent('outage').length === 4,
    '4 requests (none while open)',
    sent('outage').length,
  );
  expect(
    '503 outage',
    names(outage.events) === 'failure,failure,break,failure,failure,halfOpen,reset,success',
    'events',
    names(outage.events),
  );

  const hung = sent('hang');
  expect('hang', hang.ok && hang.value === DEFAULT_CONTENT, 'the answer', hang);
  expect(
    'hang',
    hung.length === 2 && hung[0]?.clientClosed === true,
    'the hung request closed, one retry',
    hung,
  );
  // Measured in the runtime: a request's arrival at the fake server lags its start (a new
  // connection, the browser's proxy), so the server's clock would shorten the wait.
  expect(
    'hang',
    within(hang.elapsedMs, 300),
    'the retry after the 300 ms attempt timeout',
    hang.elapsedMs,
  );
  expect(
    'hang',
    names(hang.events) === 'timeout,retry,success' && hang.events[0]?.scope === 'attempt',
    'events',
    hang.events,
  );

  const stalled = sent('stall');
  expect(
    'stall',
    !stall.ok && stall.error?.name === 'StreamInterruptedError' && stall.error.kind === 'timeout',
    'StreamInterruptedError (timeout)',
    stall.error,
  );
  expect(
    'stall',
    stall.chunks.join('|') === STALL_CHUNKS.join('|'),
    'the chunks sent',
    stall.chunks,
  );
  expect('stall', within(stall.idleMs, 300), 'the 300 ms idle timeout', stall.idleMs);
  expect(
    'stall',
    stalled.length === 1 && stalled[0]?.clientClosed === true,
    'one request, closed',
    stalled,
  );
  expect(
    'stall',
    names(stall.events) === 'firstToken,success,timeout,streamEnd' &&
      stall.events[2]?.scope === 'idle' &&
      stall.events[3]?.outcome === 'failed',
    'events',
    stall.events,
  );

  expect('abort', !abort.ok && abort.error?.kind === 'aborted', 'the abort', abort.error);
  expect(
    'abort',
    abort.afterAbortMs !== null && abort.afterAbortMs < HINT_MS.abort / 3,
    'rejected at once',
    abort.afterAbortMs,
  );
  expect(
    'abort',
    sent('abort').length === 1,
    '1 request (no retry after the abort)',
    sent('abort').length,
  );
  expect(
    'abort',
    names(abort.events) === 'retry,failure' && (abort.events[0]?.delayMs ?? 0) >= HINT_MS.abort,
    'events',
    abort.events,
  );
  return problems;
}
