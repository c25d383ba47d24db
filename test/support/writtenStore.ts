import type {
  EnterAnswer,
  EnterRequest,
  LeaveAnswer,
  LeaveReport,
  PolicyStateStore,
  PolicyStore,
} from '../../src/store/PolicyStore.js';
import { CLOSED, LEFT } from './storeAnswers.js';

/**
 * A store whose answers the test writes: `enter` and `leave` answer `state.enter` and
 * `state.leave` (with the way in's pace), or reject as a refused connection while `state.down`;
 * `state.entered` and `state.left` keep what the stages sent. While `state.entering` is set, the
 * way in answers only once that promise settles.
 */
export function writtenStore() {
  const state = {
    down: false,
    enter: CLOSED as EnterAnswer,
    leave: LEFT as LeaveAnswer,
    entering: undefined as Promise<unknown> | undefined,
    entered: [] as EnterRequest[],
    left: [] as LeaveReport[],
  };
  const answer = <T>(value: T): Promise<T> =>
    state.down
      ? Promise.reject(Object.assign(new Error('down'), { code: 'ECONNREFUSED' }))
      : Promise.resolve(value);
  const policyState: PolicyStateStore = {
    timeoutMs: 200,
    enter: (request) => {
      state.entered.push(request);
      const reply = state.enter;
      const { entering } = state;
      return entering === undefined ? answer(reply) : entering.then(() => answer(reply));
    },
    leave: (report) => {
      state.left.push(report);
      return answer({ ...state.leave, paceRatePerSec: state.enter.paceRatePerSec });
    },
    ping: () => answer(undefined),
  };
  const store: PolicyStore = { policyState: () => policyState };
  return { store, state };
}
