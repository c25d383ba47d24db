import type { Reporter } from '../pipeline/reporter.js';
import type {
  EnterAnswer,
  EnterRequest,
  LeaveAnswer,
  LeaveReport,
  PolicyStateStore,
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

/**
 * One policy's shared state as its stages use it: each operation bounded by the store's
 * `timeoutMs`, never rejecting. A failure or a timeout makes the store unavailable at once
 * (`storeUnavailable`): operations then answer `undefined` without asking it, and the stages go
 * on with their in-process state; every 250 ms, one ping asks again, and the first answer makes
 * it available again (`storeRecovered`).
 */
export class SharedState {
  private down: { since: number; retryAt: number; pinging: boolean } | undefined = undefined;

  constructor(
    private readonly store: PolicyStateStore,
    private readonly reporter: Reporter,
  ) {}

  /** Whether the store answered last time it was asked. */
  get available(): boolean {
    return this.down === undefined;
  }

  /** {@link PolicyStateStore.enter}, or `undefined` while the store is unavailable. */
  enter(request: EnterRequest): Promise<EnterAnswer | undefined> {
    if (this.down !== undefined) return this.unavailable();
    return this.bounded(this.store.enter(request));
  }

  /** {@link PolicyStateStore.leave}, or `undefined` while the store is unavailable. */
  leave(report: LeaveReport): Promise<LeaveAnswer | undefined> {
    if (this.down !== undefined) return this.unavailable();
    return this.bounded(this.store.leave(report));
  }

  private unavailable(): Promise<undefined> {
    const down = this.down;
    if (down !== undefined && !down.pinging && Date.now() >= down.retryAt) {
      down.pinging = true;
      this.bounded(this.store.ping()).then(() => {
        down.pinging = false;
        down.retryAt = Date.now() + RETRY_MS;
      });
    }
    return Promise.resolve(undefined);
  }

  private bounded<T>(operation: Promise<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      // Timers run before the event loop reads its sockets: after a stall, an answer that came
      // in time may still be unread when the timer fires. The check waits for the reads.
      const timer = setTimeout(() => {
        afterReads(() => {
          if (settled) return;
          settled = true;
          this.failed(new StoreTimeoutError());
          resolve(undefined);
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
    const { down } = this;
    if (down === undefined) return;
    this.down = undefined;
    const downMs = Date.now() - down.since;
    this.reporter.report('storeRecovered', () => ({ downMs }));
  }

  private failed(error: unknown): void {
    if (this.down !== undefined) return;
    const now = Date.now();
    this.down = { since: now, retryAt: now + RETRY_MS, pinging: false };
    const cause = storeFailureCause(error);
    this.reporter.report('storeUnavailable', () => ({ cause }));
  }
}
