import type {
  Event,
  IDefaultPolicyContext,
  IFailureEvent,
  IPolicy,
  ISuccessEvent,
} from 'cockatiel';

const silent: Event<never> = () => ({ dispose: () => {} });

/**
 * The base of the pipeline's own stages: cockatiel-compatible policies (so `wrap()` composes
 * them) whose `onSuccess` / `onFailure` never fire; the LlmPolicy around them reports each call
 * once, through its own events.
 */
export abstract class PipelineStage<C extends IDefaultPolicyContext = IDefaultPolicyContext>
  implements IPolicy<C>
{
  declare readonly _altReturn: never;
  readonly onSuccess: Event<ISuccessEvent> = silent;
  readonly onFailure: Event<IFailureEvent> = silent;

  abstract execute<T>(fn: (context: C) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T>;
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
export function invoke<C, T>(fn: (context: C) => PromiseLike<T> | T, context: C): Promise<T> {
  try {
    return Promise.resolve(fn(context));
  } catch (error) {
    return Promise.reject(error);
  }
}
