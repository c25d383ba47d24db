import { replies, type Schedule } from '../../src/testing/index.js';

/** The wait the 429 of the rate-limit scene and the 500 of the abort scene ask for. */
export const HINT_MS = { rateLimit: 300, abort: 3_000 } as const;

/** The chunks the stalling stream sends before it goes silent. */
export const STALL_CHUNKS = ['Hel', 'lo'];

/**
 * The fake server's script for one runtime's story: each scene of story.mjs calls with its own
 * model, and each model keeps its own count of requests.
 */
export function storyScript(): Schedule {
  const seen = new Map<string, number>();
  return (request) => {
    const model = request.model ?? '';
    const n = seen.get(model) ?? 0;
    seen.set(model, n + 1);
    switch (model) {
      case 'rateLimit':
        return n === 0 ? replies.rateLimit({ retryAfterMs: HINT_MS.rateLimit }) : replies.ok();
      case 'outage':
        return n < 3 ? replies.overloaded() : replies.ok();
      case 'hang':
        return n === 0 ? replies.hang() : replies.ok();
      case 'stall':
        return replies.stream({ chunks: [...STALL_CHUNKS, '!'], stallAfter: STALL_CHUNKS.length });
      case 'abort':
        return replies.status(500, undefined, { 'retry-after-ms': String(HINT_MS.abort) });
      default:
        return replies.status(404);
    }
  };
}
