/**
 * Soak test (npm run test:soak, through test/soak/run.ts): 100,000 executes through the chat
 * preset at concurrency 500 with a mix of successes and SDK-shaped faults, then 2,000 streams
 * through the stream preset, in process. Checks that every call settles, that the heap after a
 * forced GC is within 10% of where it started, that listener counts on the caller's signal and on
 * the policies' emitters are back to their start, and that no timer is left; prints its figures.
 * The process must then exit by itself (run.ts checks that). Needs --expose-gc.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { classifyOpenAIError } from '../../src/errors/index.js';
import type { PolicyEventName, PolicyEvents } from '../../src/events.js';
import { EVENT_LOG_LEVELS } from '../../src/logEvents.js';
import { createChatPolicy } from '../../src/policies/chat.js';
import { createStreamPolicy } from '../../src/policies/stream.js';
import { seededRandom } from '../../src/testing/seededRandom.js';

const EXECUTES = Number(process.env.SOAK_EXECUTES ?? 100_000);
const CONCURRENCY = 500;
const STREAMS = Number(process.env.SOAK_STREAMS ?? 2_000);
const STREAM_CONCURRENCY = 200;
const WARMUP_FRACTION = 0.05;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const forceGc: () => void = gc;

const random = seededRandom(20_261_125);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};

// ---- the faults ------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the signal aborts (a hung request), then throws as the SDK does. */
function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const onAbort = () => reject(new APIUserAbortError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

const apiError = (status: number, body: object, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error: body }, undefined, new Headers(headers));

type Fault = 'ok' | '500' | '503' | 'connection' | '400' | 'hang';
const FAULTS: [Fault, number][] = [
  ['ok', 0.8],
  ['500', 0.06],
  ['503', 0.03],
  ['connection', 0.04],
  ['400', 0.04],
  ['hang', 0.03],
];

/**
 * The server's rate limit, as a token bucket: 429s (with `retry-after-ms`) come from going over
 * it, as they do from OpenAI, so the gate has a real pace to learn.
 */
const SERVER_RATE_PER_MS = 4;
const SERVER_BURST = 400;
const serverBucket = { level: SERVER_BURST, at: Date.now() };
function overServerLimit(): number | undefined {
  const now = Date.now();
  serverBucket.level = Math.min(
    SERVER_BURST,
    serverBucket.level + (now - serverBucket.at) * SERVER_RATE_PER_MS,
  );
  serverBucket.at = now;
  if (serverBucket.level >= 1) {
    serverBucket.level -= 1;
    return undefined;
  }
  return Math.ceil((1 - serverBucket.level) / SERVER_RATE_PER_MS);
}
function pickFault(): Fault {
  let r = random();
  for (const [fault, share] of FAULTS) {
    r -= share;
    if (r < 0) return fault;
  }
  return 'ok';
}

/** One attempt of a fake chat completion: succeeds or fails the way the openai SDK does. */
async function fakeCompletion(signal: AbortSignal, fault: Fault): Promise<{ id: string }> {
  const waitMs = overServerLimit();
  if (waitMs !== undefined) {
    throw apiError(
      429,
      { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      { 'retry-after-ms': String(waitMs) },
    );
  }
  await sleep(random() < 0.5 ? 0 : 1);
  switch (fault) {
    case 'ok':
      return { id: 'chatcmpl-soak' };
    case '500':
      throw apiError(500, { message: 'The server had an error', type: 'server_error' });
    case '503':
      throw apiError(503, { message: 'overloaded', type: 'server_error' });
    case 'connection':
      throw new APIConnectionError({ message: 'Connection error.' });
    case '400':
      throw apiError(400, { message: 'bad', type: 'invalid_request_error' });
    case 'hang':
      return hangUntilAborted(signal);
  }
}

// ---- measuring --------------------------------------------------------------------------------

const EVENT_NAMES = Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[];

function listenerCounts(events: PolicyEvents): Record<string, number> {
  return Object.fromEntries(EVENT_NAMES.map((name) => [name, events.listenerCount(name)]));
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function settledHeap(): Promise<number> {
  for (let i = 0; i < 4; i += 1) {
    forceGc();
    await sleep(20);
  }
  forceGc();
  return process.memoryUsage().heapUsed;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

/** Runs `count` tasks with at most `concurrency` in flight; returns how many settled. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<unknown>) {
  let next = 0;
  let settled = 0;
  let peak = 0;
  let inFlight = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        await task(i);
      } catch {
        // outcomes are tallied by the task
      }
      inFlight -= 1;
      settled += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { settled, peak };
}

// ---- the chat soak ----------------------------------------------------------------------------

// The chat preset with its times shrunk (milliseconds where it has seconds), everything else as is.
const chat = createChatPolicy({
  name: 'soak-chat',
  retry: { initialDelayMs: 1, maxDelayMs: 10, maxRetryAfterMs: 100 },
  timeout: { attemptMs: 20, totalMs: 2_000 },
  circuitBreaker: { halfOpenAfterMs: 2, maxHalfOpenAfterMs: 20 },
});
// A caller signal shared by every call, as an app's shutdown signal would be: one abort listener
// per call in flight, so Node's warning threshold (10) is lifted for it.
const shutdown = new AbortController();
setMaxListeners(0, shutdown.signal);
const chatOutcomes: Record<string, number> = {};
const chatEvents: Record<string, number> = {};
for (const name of EVENT_NAMES) {
  chat.events.on(name, () => {
    chatEvents[name] = (chatEvents[name] ?? 0) + 1;
  });
}

async function oneExecute(): Promise<void> {
  const callerAborts = random() < 0.02;
  const own = callerAborts ? new AbortController() : undefined;
  if (own) setTimeout(() => own.abort(new Error('caller gave up')), Math.floor(random() * 5));
  const fault = pickFault();
  try {
    await chat.execute(
      ({ signal }) => fakeCompletion(signal, fault),
      own?.signal ?? shutdown.signal,
    );
    chatOutcomes.ok = (chatOutcomes.ok ?? 0) + 1;
  } catch (error) {
    const kind = classifyOpenAIError(error, { signal: own?.signal }).kind;
    chatOutcomes[kind] = (chatOutcomes[kind] ?? 0) + 1;
  }
}

// ---- the stream soak --------------------------------------------------------------------------

type StreamFault = 'complete' | 'stallFirst' | 'stallMid' | 'dropMid' | 'break' | 'abort';
const STREAM_FAULTS: StreamFault[] = ['complete', 'complete', 'complete', 'stallFirst'];
STREAM_FAULTS.push('stallMid', 'dropMid', 'break', 'abort');

async function* fakeStream(signal: AbortSignal, fault: StreamFault, attempt: number) {
  if (fault === 'stallFirst' && attempt === 1) await hangUntilAborted(signal);
  for (let i = 0; i < 8; i += 1) {
    if (i === 3 && fault === 'stallMid') await hangUntilAborted(signal);
    if (i === 3 && fault === 'dropMid') throw new TypeError('terminated');
    await sleep(random() < 0.7 ? 0 : 1);
    yield { choices: [{ delta: { content: `chunk ${i}` } }] };
  }
}

const stream = createStreamPolicy({
  name: 'soak-stream',
  retry: { initialDelayMs: 1, maxDelayMs: 10, maxRetryAfterMs: 100 },
  timeout: { firstTokenMs: 20, idleMs: 20, totalMs: 2_000 },
  circuitBreaker: { halfOpenAfterMs: 2, maxHalfOpenAfterMs: 20 },
});
const streamOutcomes: Record<string, number> = {};

async function oneStream(i: number): Promise<void> {
  const fault = STREAM_FAULTS[i % STREAM_FAULTS.length] ?? 'complete';
  const own = fault === 'abort' ? new AbortController() : undefined;
  let chunks = 0;
  let outcome = 'completed';
  try {
    const guarded = await stream.execute(
      ({ signal, attempt }) => fakeStream(signal, fault, attempt),
      own?.signal ?? shutdown.signal,
    );
    for await (const _chunk of guarded) {
      chunks += 1;
      if (fault === 'break' && chunks === 2) {
        outcome = 'released';
        break;
      }
      if (own && chunks === 2) own.abort(new Error('caller gave up'));
    }
    if (outcome === 'completed' && chunks !== 8) outcome = `ended silently after ${chunks}`;
  } catch (error) {
    outcome = `${error instanceof Error ? error.name : typeof error}(${classifyOpenAIError(error, { signal: own?.signal }).kind})`;
  }
  const key = `${fault}:${outcome}`;
  streamOutcomes[key] = (streamOutcomes[key] ?? 0) + 1;
}

// ---- run --------------------------------------------------------------------------------------

const policiesEvents = () => ({
  chat: listenerCounts(chat.events),
  stream: listenerCounts(stream.events),
});
const signalListeners = () => getEventListeners(shutdown.signal, 'abort').length;

const coldHeap = await settledHeap();
const started = Date.now();
// Warm-up: the same load, 5% of it, so the baseline holds the compiled code and the pools a
// running service holds; the check compares the steady state, and both figures are printed.
await pool(Math.floor(EXECUTES * WARMUP_FRACTION), CONCURRENCY, oneExecute);
await pool(Math.floor(STREAMS * WARMUP_FRACTION), STREAM_CONCURRENCY, oneStream);
const startHeap = await settledHeap();
const startListeners = { signal: signalListeners(), events: policiesEvents() };
const startTimers = activeTimers();

let peakSignalListeners = 0;
const sampler = setInterval(() => {
  peakSignalListeners = Math.max(peakSignalListeners, signalListeners());
}, 50);

// Four quarters, with the heap after a forced GC between them: a leak shows as a rising series.
const chatStarted = Date.now();
const chatRun = { settled: 0, peak: 0 };
const heapSeries: string[] = [mb(startHeap)];
for (let quarter = 0; quarter < 4; quarter++) {
  const run = await pool(EXECUTES / 4, CONCURRENCY, oneExecute);
  chatRun.settled += run.settled;
  chatRun.peak = Math.max(chatRun.peak, run.peak);
  heapSeries.push(mb(await settledHeap()));
}
const chatMs = Date.now() - chatStarted;
const streamStarted = Date.now();
const streamRun = await pool(STREAMS, STREAM_CONCURRENCY, oneStream);
const streamMs = Date.now() - streamStarted;
clearInterval(sampler);

await sleep(50); // let the last breaker / gate timers of settled calls run out
const endHeap = await settledHeap();
const endListeners = { signal: signalListeners(), events: policiesEvents() };
const endTimers = activeTimers();
const growth = (endHeap - startHeap) / startHeap;

check(chatRun.settled === EXECUTES, `${EXECUTES - chatRun.settled} executes never settled`);
check(streamRun.settled === STREAMS, `${STREAMS - streamRun.settled} streams never settled`);
check(Math.abs(growth) <= 0.1, `heap moved ${(growth * 100).toFixed(1)}% (limit 10%)`);
check(
  JSON.stringify(endListeners) === JSON.stringify(startListeners),
  `listeners changed: ${JSON.stringify(startListeners)} -> ${JSON.stringify(endListeners)}`,
);
check(endTimers <= startTimers, `${endTimers - startTimers} timers left behind`);
for (const key of Object.keys(streamOutcomes)) {
  check(!key.includes('ended silently'), `a stream ended silently: ${key}`);
}

console.log(
  JSON.stringify(
    {
      executes: {
        count: chatRun.settled,
        concurrency: CONCURRENCY,
        peakInFlight: chatRun.peak,
        ms: chatMs,
      },
      executeOutcomes: chatOutcomes,
      chatEvents,
      streams: { count: streamRun.settled, concurrency: STREAM_CONCURRENCY, ms: streamMs },
      streamOutcomes,
      heapMB: {
        cold: mb(coldHeap),
        start: mb(startHeap),
        afterEachQuarterOfExecutes: heapSeries.slice(1),
        end: mb(endHeap),
        growthPct: +(growth * 100).toFixed(2),
        growthFromColdPct: +(((endHeap - coldHeap) / coldHeap) * 100).toFixed(2),
      },
      listeners: {
        start: startListeners,
        end: endListeners,
        peakOnCallerSignal: peakSignalListeners,
      },
      timers: { start: startTimers, end: endTimers },
      totalMs: Date.now() - started,
      failures,
    },
    null,
    2,
  ),
);
console.log(failures.length === 0 ? 'soak: PASS' : 'soak: FAIL');
if (failures.length > 0) process.exitCode = 1;
