import { describe, expect, it } from 'vitest';
import { resolveStreamPolicyOptions } from '../../src/stream/streamPolicyOptions.js';

describe('resolveStreamPolicyOptions', () => {
  it("splits the timeouts into the stream's own and the pipeline's total timeout", () => {
    const retry = { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 };
    expect(
      resolveStreamPolicyOptions({
        name: 's',
        retry,
        timeout: { firstTokenMs: 100, idleMs: 50, totalMs: 1_000 },
      }),
    ).toStrictEqual({
      pipeline: { name: 's', retry, timeout: { totalMs: 1_000 } },
      firstTokenMs: 100,
      idleMs: 50,
    });
  });

  it('leaves out every timeout not given, or given as Infinity: no limit', () => {
    expect(resolveStreamPolicyOptions({})).toStrictEqual({ pipeline: {} });
    expect(resolveStreamPolicyOptions({ timeout: false })).toStrictEqual({ pipeline: {} });
    expect(resolveStreamPolicyOptions({ timeout: {} })).toStrictEqual({ pipeline: {} });
    expect(resolveStreamPolicyOptions({ timeout: { idleMs: 50 } })).toStrictEqual({
      pipeline: {},
      idleMs: 50,
    });
    expect(resolveStreamPolicyOptions({ timeout: { firstTokenMs: 100 } })).toStrictEqual({
      pipeline: {},
      firstTokenMs: 100,
    });
    expect(resolveStreamPolicyOptions({ timeout: { totalMs: 1_000 } })).toStrictEqual({
      pipeline: { timeout: { totalMs: 1_000 } },
    });
    const infinity = Number.POSITIVE_INFINITY;
    expect(
      resolveStreamPolicyOptions({
        timeout: { firstTokenMs: infinity, idleMs: infinity, totalMs: infinity },
      }),
    ).toStrictEqual({ pipeline: {} });
  });

  it('checks firstTokenMs against totalMs only when both are given, equal allowed', () => {
    expect(
      resolveStreamPolicyOptions({ timeout: { firstTokenMs: 1_000, totalMs: 1_000 } }),
    ).toStrictEqual({
      pipeline: { timeout: { totalMs: 1_000 } },
      firstTokenMs: 1_000,
    });
    expect(() =>
      resolveStreamPolicyOptions({ timeout: { firstTokenMs: 1_001, totalMs: 1_000 } }),
    ).toThrow(new TypeError('timeout.firstTokenMs must be <= timeout.totalMs (1000), got 1001'));
    expect(() =>
      resolveStreamPolicyOptions({
        timeout: { firstTokenMs: Number.POSITIVE_INFINITY, totalMs: 1_000 },
      }),
    ).toThrow(
      new TypeError('timeout.firstTokenMs must be <= timeout.totalMs (1000), got Infinity'),
    );
  });

  it.each([
    [null, 'null'],
    [[], 'an array'],
    [[{ timeout: false }], 'an array'],
    ['fast', '"fast"'],
    [undefined, 'undefined'],
  ])('throws a TypeError naming the options given: %j', (options, described) => {
    expect(() => resolveStreamPolicyOptions(options)).toThrow(
      new TypeError(`options must be an object, got ${described}`),
    );
  });

  it('refuses any hedge option, even false: streams are not hedged', () => {
    expect(() => resolveStreamPolicyOptions({ hedge: false })).toThrow(
      new TypeError('hedge is not a stream policy option (streams are not hedged), got false'),
    );
    expect(() => resolveStreamPolicyOptions({ hedge: { delayMs: 100 } })).toThrow(
      new TypeError('hedge is not a stream policy option (streams are not hedged), got an object'),
    );
  });

  it("passes isFirstToken and isAnswerEnd on as the stream's own, out of the pipeline", () => {
    const isFirstToken = (chunk: unknown) => chunk === 'first';
    const isAnswerEnd = (chunk: unknown) => chunk === 'end';
    expect(resolveStreamPolicyOptions({ name: 's', isFirstToken, isAnswerEnd })).toStrictEqual({
      pipeline: { name: 's' },
      isFirstToken,
      isAnswerEnd,
    });
  });

  it.each([
    ['isFirstToken', true, 'true'],
    ['isAnswerEnd', 'message_stop', '"message_stop"'],
    ['isAnswerEnd', null, 'null'],
  ])('rejects %s %s, naming the option and the value', (name, value, shown) => {
    expect(() => resolveStreamPolicyOptions({ [name]: value })).toThrow(
      new TypeError(`${name} must be a function, got ${shown}`),
    );
  });
});
