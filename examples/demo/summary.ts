// The demo's closing summary: one row per chapter of the story.
import pc from 'picocolors';
import { classifyOpenAIError } from '../../src/index.js';
import type { FakeOpenAI } from '../../src/testing/index.js';
import { say, type Tally } from './eventLog.js';

/** What one chapter of the story did. */
export interface ChapterResult {
  title: string;
  calls: number;
  requests: number;
  /** Retries of attempts that reached the server and failed. */
  retries: number;
  /** Waits on the open circuit breaker (the refused attempt sent nothing). */
  breakerWaits: number;
  breaker: string[];
  outcomes: Record<string, number>;
  seconds: number;
}

/**
 * Runs `calls` calls of `call`, one every `everyMs` (0: all at once), waits for all to settle,
 * and returns what happened: outcomes by kind, requests the server saw, retries, waits on the
 * open breaker and breaker transitions counted from the events.
 */
export async function runCalls(
  title: string,
  server: FakeOpenAI,
  tally: Tally,
  calls: number,
  everyMs: number,
  call: () => Promise<unknown>,
): Promise<ChapterResult> {
  const startedAt = Date.now();
  const requestsBefore = server.requests.length;
  const retriesBefore = tally.retries;
  const waitsBefore = tally.breakerWaits;
  const breakerBefore = tally.breaker.length;
  const outcomes: Record<string, number> = {};
  const pending: Promise<void>[] = [];
  for (let i = 0; i < calls; i++) {
    if (i > 0 && everyMs > 0) await new Promise((r) => setTimeout(r, everyMs));
    pending.push(
      call().then(
        () => {
          outcomes.ok = (outcomes.ok ?? 0) + 1;
        },
        (error: unknown) => {
          const { kind } = classifyOpenAIError(error);
          outcomes[kind] = (outcomes[kind] ?? 0) + 1;
          if (calls === 1)
            say(
              pc.red(`the call failed: ${error instanceof Error ? error.message : String(error)}`),
            );
        },
      ),
    );
  }
  await Promise.all(pending);
  const result: ChapterResult = {
    title,
    calls,
    requests: server.requests.length - requestsBefore,
    retries: tally.retries - retriesBefore,
    breakerWaits: tally.breakerWaits - waitsBefore,
    breaker: tally.breaker.slice(breakerBefore),
    outcomes,
    seconds: (Date.now() - startedAt) / 1000,
  };
  const outcomeText = Object.entries(outcomes)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  say(
    pc.bold(
      `${calls} call(s): ${outcomeText}; ${result.requests} request(s) reached the server in ${result.seconds.toFixed(1)} s`,
    ),
  );
  return result;
}

function compressTransitions(transitions: string[]): string {
  if (transitions.length === 0) return '-';
  const runs: string[] = [];
  for (const t of transitions)
    runs.push(t === 'break' ? 'open' : t === 'halfOpen' ? 'half-open' : 'closed');
  return runs.join(' > ');
}

/** Prints the closing table. */
export function printSummary(results: ChapterResult[]): void {
  const header = [
    'chapter',
    'calls',
    'requests',
    'retries',
    'breaker waits',
    'breaker',
    'outcomes',
    'time',
  ];
  const rows = results.map((r) => [
    r.title,
    String(r.calls),
    String(r.requests),
    String(r.retries),
    String(r.breakerWaits),
    compressTransitions(r.breaker),
    Object.entries(r.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
    `${r.seconds.toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${pc.bold('Summary')}`);
  console.log(pc.bold(line(header)));
  for (const row of rows) console.log(line(row));
  console.log(
    pc.dim(
      'retries: failed requests sent again; breaker waits: attempts the open breaker held back ' +
        '(nothing sent) until its half-open trial',
    ),
  );
}
