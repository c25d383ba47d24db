// The demo's live log: one line per policy event, coloured by severity on a TTY, plain otherwise.
import pc from 'picocolors';
import {
  type ErrorClassification,
  EVENT_LOG_LEVELS,
  type PolicyEvent,
  type PolicyEventName,
  type PolicyEvents,
} from '../../src/index.js';

const paint = {
  debug: pc.dim,
  info: pc.green,
  warn: pc.yellow,
  error: pc.red,
} as const;

const startedAt = Date.now();

/** Seconds since the demo started, as `  1.23s`. */
export function clock(): string {
  return `${((Date.now() - startedAt) / 1000).toFixed(2).padStart(6)}s`;
}

let lineOpen = false;

/** Writes `text` without ending the line (a stream's tokens); the next line starts on its own. */
export function write(text: string): void {
  process.stdout.write(text);
  lineOpen = true;
}

function line(text: string): void {
  if (lineOpen) process.stdout.write('\n');
  lineOpen = false;
  console.log(text);
}

/** Prints a line of the story. */
export function say(text: string): void {
  line(`${pc.dim(clock())}  ${text}`);
}

/** Prints a chapter heading. */
export function chapter(title: string): void {
  line(`\n${pc.bold(pc.cyan(`== ${title}`))}`);
}

function reason(r: ErrorClassification | undefined): string {
  if (!r) return '';
  const parts = [r.kind, r.status, r.code].filter((p) => p !== undefined && p !== null);
  return parts.join(' ');
}

/**
 * Whether a `retry` event is a wait on the open circuit breaker: the attempt was refused by the
 * breaker (cockatiel's `BrokenCircuitError`), nothing was sent, and the next one goes when the
 * breaker half-opens.
 */
export function isBreakerWait(e: PolicyEvent<'retry'>): boolean {
  return isBreakerRefusal(e.reason);
}

/** Whether a failure is the open breaker's refusal (cockatiel's `BrokenCircuitError`). */
function isBreakerRefusal(r: ErrorClassification): boolean {
  return r.message.startsWith('BrokenCircuitError');
}

function describe(name: PolicyEventName, e: PolicyEvent<PolicyEventName>): string {
  const f = e as unknown as Record<string, unknown>;
  switch (name) {
    case 'retry':
      if (isBreakerWait(e as PolicyEvent<'retry'>)) {
        return `circuit open, nothing sent: attempt ${f.attempt} waits ${f.delayMs} ms for the half-open trial`;
      }
      return `attempt ${f.attempt} failed (${reason(f.reason as ErrorClassification)}), retrying in ${f.delayMs} ms`;
    case 'fallback':
      return isBreakerRefusal(f.reason as ErrorClassification)
        ? `route ${f.from} skipped (circuit open, nothing sent): trying ${f.to}`
        : `route ${f.from} failed (${reason(f.reason as ErrorClassification)}): trying ${f.to}`;
    case 'hedge':
      return `attempt still unanswered after ${f.delayMs} ms: attempt ${f.attempt} started beside it`;
    case 'giveUp':
      return `gave up after ${f.attempts} attempt(s): ${reason(f.reason as ErrorClassification)} (${f.why})`;
    case 'timeout':
      return `${f.scope} timeout after ${f.timeoutMs} ms (attempt ${f.attempt})`;
    case 'break':
      return `circuit OPEN for ${f.openMs ?? '?'} ms after ${reason(f.reason as ErrorClassification)}: calls are not sent`;
    case 'halfOpen':
      return 'circuit half-open: one trial call goes through';
    case 'reset':
      return 'circuit closed: the service is healthy again';
    case 'bulkheadReject':
      return `bulkhead full (${f.executing} running, ${f.queued} queued): call rejected`;
    case 'success':
      return `success after ${f.attempts} attempt(s) in ${f.durationMs} ms`;
    case 'failure':
      return `failed after ${f.attempts} attempt(s): ${reason(f.reason as ErrorClassification)}`;
    case 'rateLimited':
      return `rate-limit gate closed for ${f.waitMs} ms: every caller waits`;
    case 'paced':
      return `pace set to ${Number(f.ratePerSec).toFixed(1)} requests/s`;
    case 'firstToken':
      return `first token after ${f.latencyMs} ms (attempt ${f.attempt})`;
    case 'attempt':
      return `attempt ${f.attempt} ${f.reason ? 'failed' : 'answered'} after ${f.durationMs} ms`;
    case 'gateWait':
      return `attempt ${f.attempt} held ${f.waitMs} ms by the rate-limit gate`;
    case 'storeUnavailable':
      return `shared store unavailable (${f.cause}): going on with in-process state`;
    case 'storeRecovered':
      return `shared store back after ${f.downMs} ms: sharing again`;
    case 'streamEnd':
      return `stream ended: ${f.outcome} after ${f.chunks} chunk(s)${f.reason ? ` (${reason(f.reason as ErrorClassification)})` : ''}`;
  }
}

/** Counts of what the events told, for the summary table. */
export interface Tally {
  /** Retries of attempts that reached the server and failed. */
  retries: number;
  /** Waits on the open circuit breaker: the refused attempt sent nothing. */
  breakerWaits: number;
  breaker: string[];
  events: Partial<Record<PolicyEventName, number>>;
  /** Events counted but not printed one by one (a storm has hundreds of them). */
  quiet: Set<PolicyEventName>;
}

/**
 * Prints every event of `events` as it happens, except those in `tally.quiet`. Returns the
 * tally, filled as events arrive.
 */
export function watch(events: PolicyEvents): Tally {
  const tally: Tally = {
    retries: 0,
    breakerWaits: 0,
    breaker: [],
    events: {},
    quiet: new Set(['success']),
  };
  for (const name of Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[]) {
    events.on(name, (e: PolicyEvent<PolicyEventName>) => {
      tally.events[name] = (tally.events[name] ?? 0) + 1;
      if (name === 'retry') {
        if (isBreakerWait(e as PolicyEvent<'retry'>)) tally.breakerWaits += 1;
        else tally.retries += 1;
      }
      if (name === 'break' || name === 'halfOpen' || name === 'reset') tally.breaker.push(name);
      if (tally.quiet.has(name)) return;
      const level = EVENT_LOG_LEVELS[name];
      line(
        `${pc.dim(clock())}  ${paint[level](`${level.padEnd(5)} ${e.policy}.${name}`)}  ${describe(name, e)}`,
      );
    });
  }
  return tally;
}
