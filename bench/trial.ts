import { performance } from 'node:perf_hooks';
import { type FakeRateLimitOptions, type Script, startFakeOpenAI } from '../src/testing/index.js';
import type { ClientFactory } from './clients.js';

/** Every call is bounded: one still pending this long after it was offered counts as failed. */
export const CALL_BOUND_MS = 40_000;

/** How one call ended: a reply, an error, or nothing within {@link CALL_BOUND_MS}. */
export type CallOutcome = 'ok' | 'failed' | 'pending';

/** One call of a trial. Times are ms on the server's clock (0 when the fake server started). */
export interface CallRecord {
  index: number;
  offeredMs: number;
  /** When it settled; for a pending call, when the bound cut it (offeredMs + CALL_BOUND_MS). */
  settledMs: number;
  outcome: CallOutcome;
  /** The error's class name and status, for a failed call. */
  error?: string;
}

/** One request the server saw: when, and which call sent it (undefined if unknown). */
export interface RequestRecord {
  timeMs: number;
  call: number | undefined;
  clientClosed: boolean;
}

/** What one client did against its own fresh server: every call and every request. */
export interface Trial {
  client: string;
  calls: CallRecord[];
  requests: RequestRecord[];
}

/**
 * A load: the server's script, how many calls, one every `intervalMs` (0: all at once), of which
 * kind. `script` builds the script afresh for each trial, since schedules keep state (a token
 * bucket's tokens, an outage's start, a random sequence) that must not carry over between clients.
 */
export interface TrialPlan {
  script: () => Script;
  calls: number;
  intervalMs: number;
  kind: 'chat' | 'stream';
  /** The server's own rate limits (see `startFakeOpenAI`), if any. */
  rateLimits?: FakeRateLimitOptions;
  /**
   * Offers the calls in a pattern of its own instead of one every `intervalMs`: `offer(index)`
   * starts call `index` (0 to `calls - 1`, each once) and resolves once it has settled.
   */
  load?: (offer: (index: number) => Promise<CallRecord>) => Promise<void>;
}

const MODEL_PREFIX = 'bench-call-';

/** A short description of why a call failed: error class and HTTP status if any. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  const status = (error as { status?: unknown }).status;
  const name = error.constructor.name;
  return typeof status === 'number' ? `${name} ${status}` : name;
}

/** Resolves at `time` on the performance clock, never before it (timers may fire a little early). */
async function until(time: number): Promise<void> {
  for (let wait = time - performance.now(); wait > 0; wait = time - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
  }
}

/**
 * Runs `plan` with a client from `factory` against a fresh fake server, in real time over real
 * HTTP on 127.0.0.1, and returns every call's outcome and every request the server saw. Each call
 * names itself in the request's `model` (`bench-call-N`) so requests are attributed to calls. A
 * call pending after {@link CALL_BOUND_MS} is recorded as pending and then aborted.
 */
export async function runTrial(factory: ClientFactory, plan: TrialPlan): Promise<Trial> {
  // The server's clock starts inside startFakeOpenAI, synchronously: read ours just before.
  const zero = performance.now();
  const server = await startFakeOpenAI({
    script: plan.script(),
    ...(plan.rateLimits === undefined ? {} : { rateLimits: plan.rateLimits }),
  });
  const clock = (): number => performance.now() - zero;
  try {
    const client = factory.create(server.baseURL);
    const send = (index: number, signal: AbortSignal): Promise<unknown> =>
      plan.kind === 'chat'
        ? client.chat(`${MODEL_PREFIX}${index}`, signal)
        : client.stream(`${MODEL_PREFIX}${index}`, signal);
    const bounded = (index: number): Promise<CallRecord> => {
      const offeredMs = clock();
      const controller = new AbortController();
      return new Promise((resolve) => {
        const timer: ReturnType<typeof setTimeout> = setTimeout(() => {
          resolve({ index, offeredMs, settledMs: offeredMs + CALL_BOUND_MS, outcome: 'pending' });
          controller.abort(new Error('bench: call bound reached'));
        }, CALL_BOUND_MS);
        send(index, controller.signal).then(
          () => {
            clearTimeout(timer);
            resolve({ index, offeredMs, settledMs: clock(), outcome: 'ok' });
          },
          (error: unknown) => {
            clearTimeout(timer);
            resolve({
              index,
              offeredMs,
              settledMs: clock(),
              outcome: 'failed',
              error: describe(error),
            });
          },
        );
      });
    };
    const pending: Promise<CallRecord>[] = [];
    const offer = (index: number): Promise<CallRecord> => {
      const call = bounded(index);
      pending.push(call);
      return call;
    };
    if (plan.load) await plan.load(offer);
    else {
      const start = performance.now();
      for (let index = 0; index < plan.calls; index++) {
        if (plan.intervalMs > 0) await until(start + index * plan.intervalMs);
        offer(index);
      }
    }
    const calls = await Promise.all(pending);
    if (calls.length !== plan.calls) {
      throw new TypeError(`runTrial: the load offered ${calls.length} calls, not ${plan.calls}`);
    }
    const requests = server.requests.map((request) => {
      const call = request.model?.startsWith(MODEL_PREFIX)
        ? Number(request.model.slice(MODEL_PREFIX.length))
        : undefined;
      return { timeMs: request.time, call, clientClosed: request.clientClosed };
    });
    return { client: factory.name, calls, requests };
  } finally {
    await server.close();
  }
}
