import type { PolicyEvent, PolicyEventName, PolicyEvents } from './events.js';

/** A logger with pino's call shape, `logger.warn(obj, msg)`; `console` works too. */
export interface EventLogger {
  /** Logs a success or a first token. */
  debug(obj: object, msg: string): void;
  /** Logs a breaker reset, a new pace or a finished stream. */
  info(obj: object, msg: string): void;
  /** Logs a retry, a hedge, a half-open trial, a timeout or a closing rate-limit gate. */
  warn(obj: object, msg: string): void;
  /** Logs an opening breaker, a call given up or failed, or a bulkhead rejection. */
  error(obj: object, msg: string): void;
}

/**
 * The level each event is logged at, after Polly's telemetry severities: a retry, a hedge, a
 * half-open trial, a timeout and a closing rate-limit gate are warnings; an opening breaker, a
 * call given up or failed and a bulkhead rejection are errors; a reset, a new pace and a finished
 * stream are information; a success and a first token are debug.
 */
export const EVENT_LOG_LEVELS: Readonly<Record<PolicyEventName, keyof EventLogger>> = Object.freeze(
  {
    retry: 'warn',
    hedge: 'warn',
    halfOpen: 'warn',
    timeout: 'warn',
    rateLimited: 'warn',
    break: 'error',
    giveUp: 'error',
    bulkheadReject: 'error',
    failure: 'error',
    reset: 'info',
    paced: 'info',
    streamEnd: 'info',
    success: 'debug',
    firstToken: 'debug',
  },
);

/**
 * Logs every event of `policy` with `logger` at {@link EVENT_LOG_LEVELS}: the object is the
 * event's payload plus `event` (its name), the message `llm-resilience <policy>: <event>`.
 * Returns a function that unsubscribes the logger.
 *
 * @example
 * ```ts
 * import { chatPolicy, logEvents } from 'llm-resilience';
 *
 * // A pino logger works the same way: logEvents(chatPolicy, pino()).
 * const stop = logEvents(chatPolicy, console);
 * // ... later, to stop logging:
 * stop();
 * ```
 */
export function logEvents(
  policy: { readonly events: PolicyEvents },
  logger: EventLogger,
): () => void {
  const unsubscribes = (Object.keys(EVENT_LOG_LEVELS) as PolicyEventName[]).map((name) => {
    const level = EVENT_LOG_LEVELS[name];
    const listener = (event: PolicyEvent<typeof name>): void => {
      logger[level]({ event: name, ...event }, `llm-resilience ${event.policy}: ${name}`);
    };
    policy.events.on(name, listener);
    return () => policy.events.off(name, listener);
  });
  return () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
