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
      const find = (name: string) => trials.find((t) => t.client === name);
      const checks: Check[] = [];
      const shared = find(STORM_SHARED);
      if (shared) {
        checks.push(
          {
            client: STORM_SHARED,
            target: 'success 100%',
            measured: percent(successRate(shared)),
            pass: successRate(shared) === 1,
          },
          {
            client: STORM_SHARED,
            target: 'requests/call ≤ 1.05',
            measured: fixed2(requestsPerCall(shared)),
            pass: requestsPerCall(shared) <= 1.05,
          },
          {
            client: STORM_SHARED,
            target: 'makespan ≤ 10.5 s',
            measured: boundedDuration(makespan(shared), CALL_BOUND_MS),
            pass: makespan(shared) <= 10_500,
          },
        );
      }
      const cold = find(STORM_COLD);
      if (cold) {
        checks.push(
          {
            client: STORM_COLD,
            target: 'success 100%',
            measured: percent(successRate(cold)),
            pass: successRate(cold) === 1,
          },
          {
            client: STORM_COLD,
            target: 'requests/call ≤ 2.00',
            measured: fixed2(requestsPerCall(cold)),
            pass: requestsPerCall(cold) <= 2,
          },
        );
      }
      const fleetOutage = find(OUTAGE_SHARED);
      if (fleetOutage) {
        checks.push(
          {
            client: OUTAGE_SHARED,
            target: 'success 100%',
            measured: percent(successRate(fleetOutage)),
            pass: successRate(fleetOutage) === 1,
          },
          {
            client: OUTAGE_SHARED,
            target: 'requests during the outage ≤ 12',
            measured: String(duringOutage(fleetOutage)),
            pass: duringOutage(fleetOutage) <= 12,
          },
        );
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
