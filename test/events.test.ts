import { describe, expect, it } from 'vitest';
import { PolicyEvents } from '../src/events.js';

describe('PolicyEvents.emit', () => {
  it('returns false when nothing listens to the event, as eventemitter3 does', () => {
    const events = new PolicyEvents();
    events.on('retry', () => {});
    expect(events.emit('reset', { policy: 'p' })).toBe(false);
  });

  it('returns true when one listener or more received it', () => {
    const events = new PolicyEvents();
    const seen: string[] = [];
    events.on('reset', (event) => seen.push(`a:${event.policy}`));
    expect(events.emit('reset', { policy: 'p' })).toBe(true);
    events.on('reset', (event) => seen.push(`b:${event.policy}`));
    expect(events.emit('reset', { policy: 'q' })).toBe(true);
    expect(seen).toEqual(['a:p', 'a:q', 'b:q']);
  });

  it('returns true and still runs the later listeners when one throws', () => {
    const events = new PolicyEvents();
    const seen: number[] = [];
    events.on('halfOpen', () => {
      throw new Error('bad logger');
    });
    events.on('halfOpen', () => seen.push(1));
    expect(events.emit('halfOpen', { policy: 'p' })).toBe(true);
    expect(seen).toEqual([1]);
  });

  it('returns false again once the last listener is removed', () => {
    const events = new PolicyEvents();
    const listener = () => {};
    events.on('reset', listener);
    expect(events.emit('reset', { policy: 'p' })).toBe(true);
    events.off('reset', listener);
    expect(events.emit('reset', { policy: 'p' })).toBe(false);
  });
});
