import { readField, readString } from './errorShape.js';
import { parseGoDurationMs } from './goDuration.js';

/** At most this many entries of `details` and of a QuotaFailure's `violations` are read. */
const MAX_ENTRIES = 20;

/** Quota names are read up to this length (real ones are under 100 characters). */
const MAX_NAME_LENGTH = 200;

/** What the `details` of a Google API error say about waiting. */
export interface GoogleDetails {
  /** `RetryInfo.retryDelay` (`"34.4s"`) in milliseconds. */
  retryDelayMs?: number;
  /** Whether a `QuotaFailure` names a per-day quota, which no wait within a call cures. */
  dailyQuota: boolean;
  /** `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string;
}

/** The first `MAX_ENTRIES` items of `value` when it is an array, else none. */
function entries(value: unknown): unknown[] {
  try {
    return Array.isArray(value) ? value.slice(0, MAX_ENTRIES) : [];
  } catch {
    return [];
  }
}

function namesDailyQuota(violation: unknown): boolean {
  for (const key of ['quotaId', 'quotaMetric']) {
    const name = readString(violation, key)?.slice(0, MAX_NAME_LENGTH).toLowerCase();
    if (name?.includes('perday') === true || name?.includes('per_day') === true) return true;
  }
  return false;
}

/**
 * Reads `google.rpc.RetryInfo`, `google.rpc.QuotaFailure` and `google.rpc.ErrorInfo` from the `details` of a Google
 * API error (`{ error: { code, message, status, details } }`), as the Gemini API and Vertex AI
 * send them with a 429 `RESOURCE_EXHAUSTED`.
 */
export function readGoogleDetails(payload: object | undefined): GoogleDetails {
  const found: GoogleDetails = { dailyQuota: false };
  for (const detail of entries(readField(payload, 'details'))) {
    const type = readString(detail, '@type');
    if (type?.endsWith('google.rpc.RetryInfo') === true) {
      const delay = readString(detail, 'retryDelay');
      const ms = delay === undefined ? undefined : parseGoDurationMs(delay);
      if (ms !== undefined) found.retryDelayMs = ms;
    } else if (type?.endsWith('google.rpc.ErrorInfo') === true) {
      const reason = readString(detail, 'reason');
      if (reason !== undefined) found.reason = reason;
    } else if (type?.endsWith('google.rpc.QuotaFailure') === true) {
      if (entries(readField(detail, 'violations')).some(namesDailyQuota)) found.dailyQuota = true;
    }
  }
  return found;
}
