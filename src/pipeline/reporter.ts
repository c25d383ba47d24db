import {
  type PolicyEvent,
  type PolicyEventMap,
  type PolicyEventName,
  PolicyEvents,
} from '../events.js';
import { aString, checkValue, isPlainObject, refuse } from '../validate.js';

/** Where a policy or a stage reports its events: its name (every event's `policy`) and emitter. */
export interface ReportingOptions {
  /** Carried in every event as `policy`. Default `'policy'`. */
  name?: string;
  /**
   * The emitter the events go to. Give several stages one emitter to listen to them in one
   * place (`logEvents({ events }, logger)`). Default: an emitter of the stage's own.
   */
  events?: PolicyEvents;
}

/**
 * The one way the package reports an event: `report(type, build)` emits `build()` plus the
 * policy's `name` as event `type`, and neither builds nor emits anything when nobody listens.
 */
export class Reporter {
  /** Carried in every event as `policy`. */
  readonly name: string;
  /** The emitter events go to. */
  readonly events: PolicyEvents;

  constructor(options: ReportingOptions = {}) {
    this.name = options.name ?? 'policy';
    this.events = options.events ?? new PolicyEvents();
  }

  /** Emits event `type` with `build()`'s payload and `policy`, if anybody listens. */
  report<K extends PolicyEventName>(type: K, build: () => PolicyEventMap[K]): void {
    const { events } = this;
    if (events.listenerCount(type) === 0) return;
    const event = { policy: this.name, ...build() } as PolicyEvent<K>;
    (events.emit as (type: K, event: PolicyEvent<K>) => boolean)(type, event);
  }
}

/**
 * Checks a stage's options object and its reporting options (`name` a string, `events` a
 * {@link PolicyEvents}); returns it unchanged.
 */
export function checkReporting<O extends ReportingOptions>(path: string, options: O): O {
  if (!isPlainObject(options)) refuse(path, 'an object', options);
  const { name, events } = options;
  if (name !== undefined) checkValue('name', name, aString);
  if (events !== undefined && !(events instanceof PolicyEvents)) {
    refuse(`${path}.events`, 'a PolicyEvents emitter', events);
  }
  return options;
}

/** A stage's options without the reporting ones, for the stage's own checks. */
export function withoutReporting<O extends ReportingOptions>(
  options: O,
): Omit<O, keyof ReportingOptions> {
  const { name: _name, events: _events, ...rest } = options;
  return rest;
}
