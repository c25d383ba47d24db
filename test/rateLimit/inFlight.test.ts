import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/rateLimit/inFlight.js';

describe('InFlight', () => {
  it('counts requests sent and not yet answered, oldest answered first', () => {
    const inFlight = new InFlight();
    expect(inFlight.size(0)).toBe(0);
    for (let i = 0; i < 5; i++) inFlight.sent(i);
    expect(inFlight.size(10)).toBe(5);
    inFlight.answered();
    inFlight.answered();
    expect(inFlight.size(10)).toBe(3);
    inFlight.sent(11);
    expect(inFlight.size(11)).toBe(4);
  });

  it('forgets a request 60 s after it was sent, not before', () => {
    const inFlight = new InFlight();
    inFlight.sent(1_000);
    inFlight.sent(2_000);
    expect(inFlight.size(61_000)).toBe(2); // exactly 60 s: still counts
    expect(inFlight.size(61_001)).toBe(1);
    // sending forgets too: the reply then matches the new request, not the one sent at 2 000
    inFlight.sent(62_001);
    inFlight.answered();
    expect(inFlight.size(62_001)).toBe(0);
  });

  it('a reply to a request already forgotten does not hide the next request', () => {
    const inFlight = new InFlight();
    inFlight.sent(0);
    inFlight.answered();
    inFlight.answered(); // nothing in flight
    inFlight.sent(10);
    expect(inFlight.size(10)).toBe(1);
    for (let i = 0; i < 2; i++) inFlight.sent(20 + i);
    for (let i = 0; i < 5; i++) inFlight.answered(); // two more replies than requests
    inFlight.sent(30);
    expect(inFlight.size(30)).toBe(1);
    inFlight.sent(31);
    inFlight.sent(32);
    inFlight.answered();
    for (let i = 0; i < 3; i++) inFlight.answered(); // nothing left; two of them extra
    inFlight.sent(40);
    expect(inFlight.size(40)).toBe(1);
  });

  it('keeps its count right through many sends and replies', () => {
    const inFlight = new InFlight();
    let expected = 0;
    for (let i = 0; i < 1_000; i++) {
      inFlight.sent(i);
      expected++;
      if (i % 3 !== 0) {
        inFlight.answered();
        expected--;
      }
    }
    expect(inFlight.size(1_000)).toBe(expected);
    for (let i = 0; i < expected; i++) inFlight.answered();
    expect(inFlight.size(1_000)).toBe(0);
  });
});
