import { replies, schedules } from '../../src/testing/index.js';
import { startRedisServer } from '../../test/support/redisServer.js';
import { type Fleet, fleetClient, startFleet } from '../fleet.js';
import { boundedDuration, fixed2, percent } from '../format.js';
import { markdownTable } from '../markdownTable.js';
import { makespan, requestsBetween, requestsPerCall, successRate } from '../metrics.js';
import { requestsChart } from '../requestsChart.js';
import type { Check, Scenario } from '../scenario.js';
import { runTrials } from '../scenario.js';
import { CALL_BOUND_MS, type Trial } from '../trial.js';

const OUTAGE_MS = 3_000;
const BUDGET = { rateLimit: { requestsPerMinute: 1200 } };
const STORM_SHARED = '4 processes, shared 1200 rpm';
const STORM_ALONE = '4 processes, 1200 rpm each (no store)';
const STORM_COLD = '4 processes, shared, cold';
const OUTAGE_SHARED = '8 processes, shared';
const OUTAGE_ALONE = '8 processes, no store';
const OUTAGE_ONE = '1 process';

/** Requests the server saw during the outage (failFor counts from the first request). */
function duringOutage(trial: Trial): number {
  const start = Math.min(...trial.requests.map((r) => r.timeMs));
  return requestsBetween(trial, 0, start + OUTAGE_MS);
}

/**
 * S7, a fleet: the S1 storm and the S2 outage sent by several worker processes at once, each
 * with its own `createChatPolicy()`, sharing their gate and breaker through one Redis store
 * (a redis-server the bench starts), against the same processes without a store.
 */
export const s7Fleet: Scenario = {
  id: 'S7',
  async run() {
    const redis = await startRedisServer();
    let fleet: Fleet | undefined;
    try {
      fleet = await startFleet(8, redis.url);
      const storm = await runTrials(
        'S7',
        {
          script: () => schedules.tokenBucket({ ratePerSec: 20, burst: 20 }),
          calls: 200,
          intervalMs: 0,
          kind: 'chat',
        },
        [
          fleetClient(STORM_SHARED, fleet, 4, BUDGET, true),
          fleetClient(STORM_ALONE, fleet, 4, BUDGET, false),
          fleetClient(STORM_COLD, fleet, 4, {}, true),
        ],
      );
      const outage = await runTrials(
        'S7',
        {
          script: () =>
            schedules.failFor(OUTAGE_MS, replies.overloaded(), replies.delay(20, replies.ok())),
          calls: 200,
          intervalMs: 50,
          kind: 'chat',
        },
        [
          fleetClient(OUTAGE_SHARED, fleet, 8, {}, true),
          fleetClient(OUTAGE_ALONE, fleet, 8, {}, false),
          fleetClient(OUTAGE_ONE, fleet, 1, {}, false),
        ],
      );
      const trials = [...storm, ...outage];
      const table = markdownTable(
        [
          { header: 'client' },
          { header: 'load' },
          { header: 'success', align: 'right' },
          { header: 'requests/call', align: 'right' },
          { header: 'requests during outage', align: 'right' },
          { header: 'makespan', align: 'right' },
        ],
        trials.map((t) => {
          const isStorm = storm.includes(t);
          return [
            t.client,
            isStorm ? 'S1 storm' : 'S2 outage',
            percent(successRate(t)),
            fixed2(requestsPerCall(t)),
            isStorm ? '' : String(duringOutage(t)),
            boundedDuration(makespan(t), CALL_BOUND_MS),
          ];
        }),
      );
      type Target = [string, string, (t: Trial) => string, (t: Trial) => boolean];
      const success = (client: string): Target => [
        client,
        'success 100%',
        (t) => percent(successRate(t)),
        (t) => successRate(t) === 1,
      ];
      /** Each trial's targets: what is measured, how it reads, and whether it passes. */
      const targets: Target[] = [
        success(STORM_SHARED),
        [
          STORM_SHARED,
          'requests/call ≤ 1.05',
          (t) => fixed2(requestsPerCall(t)),
          (t) => requestsPerCall(t) <= 1.05,
        ],
        [
          STORM_SHARED,
          'makespan ≤ 10.5 s',
          (t) => boundedDuration(makespan(t), CALL_BOUND_MS),
          (t) => makespan(t) <= 10_500,
        ],
        success(STORM_COLD),
        [
          STORM_COLD,
          'requests/call ≤ 2.00',
          (t) => fixed2(requestsPerCall(t)),
          (t) => requestsPerCall(t) <= 2,
        ],
        success(OUTAGE_SHARED),
        [
          OUTAGE_SHARED,
          'requests during the outage ≤ 12',
          (t) => String(duringOutage(t)),
          (t) => duringOutage(t) <= 12,
        ],
      ];
      const checks: Check[] = [];
      for (const [client, target, measure, passes] of targets) {
        const trial = trials.find((t) => t.client === client);
        if (trial) checks.push({ client, target, measured: measure(trial), pass: passes(trial) });
      }
      return {
        id: 'S7',
        title: 'S7: a fleet of processes',
        setup:
          'Worker processes (forked, each with its own `createChatPolicy()` and openai client) share one fake server; call _i_ goes to process _i_ mod _n_. "shared" processes pass `store: createRedisStore({ client })` on one local redis-server (started by the bench); the others have no store. The storm is S1 (a token bucket of 20 requests/s, burst 20, 200 calls at once); the outage is S2 (503 for the first 3 s, 20 calls/s for 10 s).',
        table,
        checks,
        chart: requestsChart('benchmarks-s7.svg', 'S7 fleet: requests reaching the server', trials),
      };
    } finally {
      await fleet?.stop();
      await redis.stop();
    }
  },
};
