import type { PolicyEvent, PolicyEventName, PolicyEvents } from './events.js';
import { aFunction, checkValue, refuse } from './validate.js';

/**
 * A logger with pino's call shape, `logger.warn(obj, msg)`; `console` works too (it is given one
 * line per event, see {@link LogEventsOptions}).
 */
export interface EventLogger {
  /** Logs a success, a first token, an attempt's end or a pass through the rate-limit gate. */
  debug(obj: object, msg: string): void;
  /** Logs a breaker reset, a new pace, a finished stream or a store that answers again. */
  info(obj: object, msg: string): void;
  /** Logs a retry, a hedge, a fallback, a half-open trial, a timeout, a closing gate or a lost store. */
  warn(obj: object, msg: string): void;
  /** Logs an opening breaker, a call given up or failed, or a bulkhead rejection. */
  error(obj: object, msg: string): void;
}

/**
 * The level each event is logged at, after Polly's telemetry severities: a retry, a hedge, a
 * fallback to another route, a half-open trial, a timeout, a closing rate-limit gate and a shared
 * store lost are warnings; an opening breaker, a call given up or failed and a bulkhead rejection
 * are errors; a reset, a new pace, a finished stream and a store recovered are information; a success, a first token, an attempt's
 * end (`attempt`) and a pass through the gate (`gateWait`) are debug.
 */
export const EVENT_LOG_LEVELS: Readonly<Record<PolicyEventName, keyof EventLogger>> = Object.freeze(
  {
    retry: 'warn',
    hedge: 'warn',
    fallback: 'warn',
    halfOpen: 'warn',
    timeout: 'warn',
    rateLimited: 'warn',
    storeUnavailable: 'warn',
    break: 'error',
    giveUp: 'error',
    bulkheadReject: 'error',
    failure: 'error',
    reset: 'info',
    paced: 'info',
    storeRecovered: 'info',
    streamEnd: 'info',
    success: 'debug',
    firstToken: 'debug',
    attempt: 'debug',
    gateWait: 'debug',
  },
);

/**
 * How {@link logEvents} writes an event: `'object'` calls `logger.warn(obj, msg)` as pino does;
 * `'line'` calls `logger.warn(line)` with one readable line, the message first and then the key
 * fields (`llm-resilience chat: retry attempt=1 delayMs=300 kind=rate_limit status=429 ...`).
 */
export type EventLogFormat = 'line' | 'object';

/** Options of {@link logEvents}. */
export interface LogEventsOptions {
  /**
   * How each event is written. Default: `'line'` for a console (the global `console`, or an
   * object built by a class named `Console`, as Node's `new Console(stream)`), `'object'` for
   * every other logger.
   */
  format?: EventLogFormat;
}

const FORMATS: readonly EventLogFormat[] = ['line', 'object'];

/** The classification fields a line shows, after its `kind`; the server's message comes last. */
const REASON_FIELDS = ['status', 'code', 'retryAfterMs', 'requestId'] as const;

/**
 * Whether `logger` is a console: the global `console`, or an object built by a class named
 * `Console` (Node's `new Console(stream)`, test runners' replacements of the global console).
 */
function isConsole(logger: object): boolean {
  return logger === globalThis.console || logger.constructor?.name === 'Console';
}

/** `key=value` for a field of a line: strings with a space or a quote are JSON-quoted. */
function field(key: string, value: unknown): string {
  const text = String(value);
  return `${key}=${typeof value === 'string' && /[\s"=]/.test(text) ? JSON.stringify(text) : text}`;
}

/** One readable line for an event: the message, then its fields, the reason's message last. */
function eventLine(message: string, event: Readonly<Record<string, unknown>>): string {
  const parts = [message];
  let reasonMessage: unknown;
  for (const [key, value] of Object.entries(event)) {
    if (key === 'policy' || value === undefined) continue;
    if (key === 'reason' && typeof value === 'object' && value !== null) {
      const reason = value as Readonly<Record<string, unknown>>;
      parts.push(field('kind', reason.kind));
      for (const name of REASON_FIELDS) {
        if (reason[name] !== undefined) parts.push(field(name, reason[name]));
      }
      reasonMessage = reason.message;
    } else {
      parts.push(field(key, value));
    }
  }
  if (typeof reasonMessage === 'string' && reasonMessage !== '') {
    parts.push(`- ${reasonMessage}`);
  }
  return parts.join(' ');
}

/**
 * Logs every event of `policy` with `logger` at {@link EVENT_LOG_LEVELS}, with the message
 * `llm-resilience <policy>: <event>`. A pino-style logger gets `(obj, msg)`, the object being the
 * event's payload plus `event` (its name); the console gets one readable line per event, the
 * message first and then the key fields (see {@link LogEventsOptions.format} to choose).
 * Returns a function that unsubscribes the logger. Throws a TypeError for a logger without the
 * four level methods or a bad `format`.
 *
 * @example
 * ```ts
 * import { chatPolicy, logEvents } from 'llm-resilience';
 *
 * // One line per event; a pino logger gets (obj, msg): logEvents(chatPolicy, pino()).
 * const stop = logEvents(chatPolicy, console);
 * // ... later, to stop logging:
 * stop();
 * ```
 */
export function logEvents(
  policy: { readonly events: PolicyEvents },
  logger: EventLogger,
  options: LogEventsOptions = {},
): () => void {
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    checkValue(`logger.${level}`, logger?.[level], aFunction);
  }
  const format = options?.format ?? (isConsole(logger) ? 'line' : 'object');
  if (!FORMATS.includes(format)) refuse('format', "'line' or 'object'", format);
  const unsubscribes = (Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[]).map((name) => {
    const level = EVENT_LOG_LEVELS[name];
    const listener = (event: PolicyEvent<typeof name>): void => {
      const message = `llm-resilience ${event.policy}: ${name}`;
      if (format === 'line') {
        (logger[level] as unknown as (line: string) => void).call(
          logger,
          eventLine(message, event),
        );
      } else {
        logger[level]({ event: name, ...event }, message);
      }
    };
    policy.events.on(name, listener);
    return () => policy.events.off(name, listener);
  });
  return () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
