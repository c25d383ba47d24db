import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../src/rateLimit/rateMeter.js';

describe('RateMeter', () => {
  it('reads 0 before any event', () => {
    expect(new RateMeter().perSec(5_000)).toBe(0);
  });

  it('counts the events of the last second, in 100 ms slots', () => {
    const meter = new RateMeter();
    for (let i = 0; i < 5; i++) meter.record(10_000 + i); // slot 100
    for (let i = 0; i < 3; i++) meter.record(10_950); // slot 109
    expect(meter.perSec(10_999)).toBe(8);
    // at 11 000 the current slot is 110: slot 100 (a second old) no longer counts
    expect(meter.perSec(11_000)).toBe(3);
    expect(meter.perSec(11_999)).toBe(0);
  });

  it('starts a slot afresh when its place in the ring comes round again', () => {
    const meter = new RateMeter();
    for (let i = 0; i < 4; i++) meter.record(1_000); // slot 10, place 0
    meter.record(2_050); // slot 20, place 0 again: the 4 old events are dropped
    expect(meter.perSec(2_050)).toBe(1);
  });

  it('forgets everything after a long quiet time', () => {
    const meter = new RateMeter();
    for (let i = 0; i < 10; i++) meter.record(i * 100);
    expect(meter.perSec(999)).toBe(10);
    expect(meter.perSec(60_000)).toBe(0);
  });
});
