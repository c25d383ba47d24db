import { overhead } from '../overhead.js';
import type { Scenario } from '../scenario.js';
import { storeOverhead } from '../storeOverhead.js';
import { s1qQuietProcess } from './s1qQuietProcess.js';
import { s1RateLimitStorm } from './s1RateLimitStorm.js';
import { s1rRecurrent } from './s1rRecurrent.js';
import { s1sSustainedOverload } from './s1sSustainedOverload.js';
import { s2Outage } from './s2Outage.js';
import { s3Hangs } from './s3Hangs.js';
import { s4Quota } from './s4Quota.js';
import { s5StalledStreams } from './s5StalledStreams.js';
import { s6bRateLimitSpill, s6Fallback } from './s6Fallback.js';
import { s7Fleet } from './s7Fleet.js';
import { s8PartialOutage } from './s8PartialOutage.js';
import { s9HeaderBudget } from './s9HeaderBudget.js';

/** Every scenario of `npm run bench`, in the order of docs/benchmarks.md. */
export const SCENARIOS: readonly Scenario[] = [
  s1RateLimitStorm,
  s1sSustainedOverload,
  s1qQuietProcess,
  s1rRecurrent,
  s2Outage,
  s3Hangs,
  s4Quota,
  s5StalledStreams,
  s6Fallback,
  s6bRateLimitSpill,
  s7Fleet,
  s8PartialOutage,
  s9HeaderBudget,
  overhead,
  storeOverhead,
];
