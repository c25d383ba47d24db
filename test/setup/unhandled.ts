/**
 * Fails the suite on any unhandled promise rejection or uncaught exception raised while tests run.
 *
 * Vitest reports such errors only while it is the sole listener; this hook takes over: it collects
 * every one and fails the test during which it surfaced (afterEach), or the file (afterAll) if it
 * surfaced after the last test. The error names the original reason and its stack.
 */
import { afterAll, afterEach } from 'vitest';

// Captured before any test can install fake timers.
const realSetImmediate = globalThis.setImmediate;

const seen: { event: string; reason: unknown }[] = [];
const onRejection = (reason: unknown) => {
  seen.push({ event: 'unhandled rejection', reason });
};
const onException = (error: unknown) => {
  seen.push({ event: 'uncaught exception', reason: error });
};
process.on('unhandledRejection', onRejection);
process.on('uncaughtException', onException);

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.stack ?? `${reason.name}: ${reason.message}`;
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}

/** Lets rejections of the settled test surface (Node reports them after the microtask queue). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

function check(when: string): void {
  if (seen.length === 0) return;
  const found = seen.splice(0);
  const lines = found.map(({ event, reason }) => `- ${event}: ${describeReason(reason)}`);
  throw new Error(`${found.length} unhandled error(s) ${when}:\n${lines.join('\n')}`);
}

afterEach(async () => {
  await nextTurn();
  await nextTurn();
  check('during this test');
});

afterAll(async () => {
  await nextTurn();
  try {
    check('after the last test of this file');
  } finally {
    // Hand back to Vitest's own reporting for whatever happens after this file.
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
});
