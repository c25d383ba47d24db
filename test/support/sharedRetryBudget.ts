/** What the scenario needs of a policy or a stage. */
interface Executes {
  execute<T>(fn: () => T | Promise<T>): Promise<T>;
}

/**
 * The shared retry budget's scenario: 10 calls succeed through `a` (the store counts them within a
 * tenth of the window; the scenario waits 350 ms for it), then `calls` calls through `b` all fail
 * with `failure()`. Returns how many attempts `b` made.
 */
export async function attemptsAfterTenCalls(
  a: Executes,
  b: Executes,
  calls: number,
  failure: () => Error,
): Promise<number> {
  await Promise.all(Array.from({ length: 10 }, () => a.execute(() => 1)));
  await new Promise((resolve) => setTimeout(resolve, 350));
  let attempts = 0;
  const failing = () => {
    attempts++;
    return Promise.reject(failure());
  };
  const settled = await Promise.allSettled(Array.from({ length: calls }, () => b.execute(failing)));
  if (settled.some((s) => s.status === 'fulfilled')) throw new Error('a failing call succeeded');
  return attempts;
}
