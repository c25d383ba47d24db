import type { RecordedRequest } from './recordedRequest.js';
import { type Reply, validateReply } from './replies.js';
import type { Schedule } from './schedules.js';

/**
 * What the fake server answers: one Reply for every request, an array of Replies (one per
 * request in order, the last one repeating), or a schedule function `(request, index) => Reply`.
 */
export type Script = Reply | readonly Reply[] | Schedule;

/** Checks a script when it is given and throws a TypeError naming the bad field and value. */
export function validateScript(script: unknown, where: string): asserts script is Script {
  if (typeof script === 'function') return;
  if (Array.isArray(script)) {
    if (script.length === 0) {
      throw new TypeError(`${where}: script must hold at least one reply, got []`);
    }
    script.forEach((reply, i) => {
      validateReply(reply, `${where} script[${i}]`);
    });
    return;
  }
  validateReply(script, `${where} script`);
}

/**
 * The reply `script` gives to `request`, the `index`-th request under it. A schedule's answer
 * is checked too; a bad one throws a TypeError.
 */
export function replyFor(script: Script, request: RecordedRequest, index: number): Reply {
  if (typeof script === 'function') {
    const reply = script(request, index);
    validateReply(reply, `schedule answer to request ${index}`);
    return reply;
  }
  if (Array.isArray(script)) return script[Math.min(index, script.length - 1)] as Reply;
  return script as Reply;
}
