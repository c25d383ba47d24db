import type { Reporter } from '../pipeline/reporter.js';
import { checkValue } from '../validate.js';
import { aPolicyStore } from './checkStore.js';
import type {
  EnterAnswer,
  EnterRequest,
  LeaveAnswer,
  LeaveReport,
  PolicyStateStore,
  PolicyStore,
} from './PolicyStore.js';

/** While the store is unavailable, it is asked again (one ping) at most this often. */
const RETRY_MS = 250;

/** A short, secret-free name for why the store failed: an error code, its class, or `timeout`. */
export function storeFailureCause(error: unknown): string {
  if (error instanceof StoreTimeoutError) return 'timeout';
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    const message = (error as { message?: unknown }).message;
    const word = typeof message === 'string' ? /^[A-Z]{3,}\b/.exec(message)?.[0] : undefined;
    if (word !== undefined) return word;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== 'Error') return name;
  }
  return 'error';
}

/** Runs `task` after the event loop's pending reads (setImmediate; a 0 ms timer where there is none). */
const afterReads: (task: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (task) => globalThis.setImmediate(task)
    : (task) => setTimeout(task, 0);

/** The store did not answer within its `timeoutMs`. */
class StoreTimeoutError extends Error {}

/** When a connection became unavailable, why, and when it is asked again. */
interface Outage {
  readonly since: number;
  readonly cause: string;
  retryAt: number;
  pinging: boolean;
}

/** The outage of each connection (`PolicyStateStore.connection`), while it lasts. */
const outages = new WeakMap<object, Outage>();

/**
 * One policy's shared state as its stages use it: each operation bounded by the store's
 * `timeoutMs`, never rejecting. A failure or a timeout makes the store's connection unavailable at
 * once, for every policy on it (`storeUnavailable`, once per policy): operations then answer
 * `undefined` without asking it, and the stages go on with their in-process state; every 250 ms,
 * one ping asks again, and the first answer makes it available again (`storeRecovered`, reported
 * by each policy at its next operation).
 */
export class SharedState {
  private readonly connection: object;
  /** The outage this policy has reported `storeUnavailable` for, until it reports recovery. */
  private reported: Outage | undefined = undefined;

  constructor(
    private readonly store: PolicyStateStore,
    private readonly reporter: Reporter,
  ) {
    this.connection = store.connection ?? store;
  }

  /** Whether the store answered last time it was asked. */
  get available(): boolean {
    return !outages.has(this.connection);
  }

  /** {@link PolicyStateStore.enter}, or `undefined` while the store is unavailable. */
  enter(request: EnterRequest): Promise<EnterAnswer | undefined> {
    const outage = this.outage();
    if (outage !== undefined) return this.unavailable(outage);
    return this.bounded(this.store.enter(request));
  }

  /** {@link PolicyStateStore.leave}, or `undefined` while the store is unavailable. */
  leave(report: LeaveReport): Promise<LeaveAnswer | undefined> {
    const outage = this.outage();
    if (outage !== undefined) return this.unavailable(outage);
    return this.bounded(this.store.leave(report));
  }

  /** The connection's outage, reported by this policy as it first sees it or sees it end. */
  private outage(): Outage | undefined {
    const outage = outages.get(this.connection);
    if (outage !== this.reported) {
      const ended = this.reported;
      this.reported = outage;
      if (ended !== undefined) {
        const downMs = Date.now() - ended.since;
        this.reporter.report('storeRecovered', () => ({ downMs }));
      }
      if (outage !== undefined) {
        const { cause } = outage;
        this.reporter.report('storeUnavailable', () => ({ cause }));
      }
    }
    return outage;
  }

  private unavailable(outage: Outage): Promise<undefined> {
    if (!outage.pinging && Date.now() >= outage.retryAt) {
      outage.pinging = true;
      this.bounded(this.store.ping()).then(() => {
        outage.pinging = false;
        outage.retryAt = Date.now() + RETRY_MS;
      });
    }
    return Promise.resolve(undefined);
  }

  private bounded<T>(operation: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const timeOut = (): void => {
        if (settled) return;
        settled = true;
        this.failed(new StoreTimeoutError());
        resolve(undefined);
      };
      // The event loop runs timers before it reads its sockets, and reads only what had come
      // when it began reading: after a busy spell, an answer that came in time may still be
      // unread when the timer fires, or when the reads that followed it end. The answer is
      // late only if the next two reads do not bring it.
      const timer = setTimeout(() => {
        afterReads(() => {
          if (!settled) afterReads(timeOut);
        });
      }, this.store.timeoutMs);
      (timer as { unref?: () => void }).unref?.();
      operation.then(
        (value) => {
          clearTimeout(timer);
          this.answered();
          if (settled) return;
          settled = true;
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.failed(error);
          settled = true;
          resolve(undefined);
        },
      );
    });
  }

  private answered(): void {
    outages.delete(this.connection);
    this.outage();
  }

  private failed(error: unknown): void {
    if (!outages.has(this.connection)) {
      const now = Date.now();
      const cause = storeFailureCause(error);
      outages.set(this.connection, { since: now, cause, retryAt: now + RETRY_MS, pinging: false });
    }
    this.outage();
  }
}

/**
 * The shared state of a stage given `store` (the option at `path`): `shared` when its pipeline
 * gives the one its stages share, a new one under the policy's name otherwise, none without a
 * store. Throws a TypeError naming `path` for a store that is not a `PolicyStore`.
 */
export function sharedStateOf(
  path: string,
  store: PolicyStore | undefined,
  reporter: Reporter,
  shared?: SharedState,
): SharedState | undefined {
  if (store === undefined) return shared;
  checkValue(path, store, aPolicyStore);
  return shared ?? new SharedState(store.policyState(reporter.name), reporter);
}
