// Runs many kinds of calls through policies, prints "settled" once every call has settled and
// returns without exiting: the process must then end by itself (no timer or handle left behind).
import { APIError } from 'openai';
import { createPolicy } from '../../src/pipeline/LlmPolicy.js';
import { chatPolicy, createChatPolicy } from '../../src/policies/chat.js';

const fail = (status: number, retryAfterMs?: number) => () =>
  Promise.reject(
    APIError.generate(
      status,
      { error: { message: 'x' } },
      undefined,
      new Headers(retryAfterMs === undefined ? {} : { 'retry-after-ms': String(retryAfterMs) }),
    ),
  );
const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    () => 'failed',
  );
const abortAfter = (ms: number) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
};

const quick = createChatPolicy({
  retry: { initialDelayMs: 50, maxDelayMs: 100, maxRetries: 2 },
  timeout: { attemptMs: 100, totalMs: 1_000 },
  circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 30_000 },
  bulkhead: { maxConcurrent: 2, maxQueued: 1 },
});
const slowRetry = createPolicy({
  retry: { maxRetries: 5, initialDelayMs: 30_000, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 },
  rateLimit: {},
});

const outcomes = await Promise.all([
  settle(chatPolicy.execute(() => 'ok')),
  settle(quick.execute(fail(500))), // retries, then gives up; opens the breaker
  settle(quick.execute(hang)), // attempt timeouts, then the total timeout
  settle(quick.execute(() => 'queued?')),
  settle(quick.execute(() => 'rejected by the bulkhead?')),
  settle(slowRetry.execute(fail(503), abortAfter(50))), // aborted in a 30 s backoff sleep
  settle(slowRetry.execute(fail(429, 40_000), abortAfter(60))), // closes the gate for 40 s; aborted there
  settle(chatPolicy.execute(hang, abortAfter(20))), // aborted during the attempt
]);
// The gate is closed for 40 s: a caller waiting there that aborts must leave no timer either.
outcomes.push(await settle(slowRetry.execute(() => 'held', abortAfter(30))));
process.stdout.write(`settled ${outcomes.join(',')}\n`);
