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
export function scriptedStore() {
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
    enter: async (request): Promise<EnterAnswer> => {
      state.entered.push(request);
      const reply = state.enter;
      if (state.entering !== undefined) await state.entering;
      return answer(reply);
    },
    leave: (report): Promise<LeaveAnswer> => {
      state.left.push(report);
      return answer({ ...state.leave, paceRatePerSec: state.enter.paceRatePerSec });
    },
    ping: () => answer(undefined),
  };
  const store: PolicyStore = { policyState: () => policyState };
  return { store, state };
}
