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

  it('runs a once listener once, and an on listener of the same function every time', () => {
    const events = new PolicyEvents();
    const onceSeen: string[] = [];
    const always: string[] = [];
    events.once('reset', (event) => onceSeen.push(event.policy));
    events.on('reset', (event) => always.push(event.policy));
    expect(events.emit('reset', { policy: 'a' })).toBe(true);
    expect(events.emit('reset', { policy: 'b' })).toBe(true);
    expect(onceSeen).toEqual(['a']);
    expect(always).toEqual(['a', 'b']);
    expect(events.listenerCount('reset')).toBe(1);
    const shared = (event: { policy: string }) => onceSeen.push(`shared:${event.policy}`);
    events.on('halfOpen', shared);
    events.once('halfOpen', shared);
    events.emit('halfOpen', { policy: 'c' });
    events.emit('halfOpen', { policy: 'd' });
    expect(onceSeen.slice(1)).toEqual(['shared:c', 'shared:c', 'shared:d']);
  });

  it('returns false after its only listener, added with once, has run', () => {
    const events = new PolicyEvents();
    events.once('reset', () => {});
    expect(events.emit('reset', { policy: 'p' })).toBe(true);
    expect(events.emit('reset', { policy: 'p' })).toBe(false);
  });
});
