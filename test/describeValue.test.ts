import { describe, expect, it } from 'vitest';
import { describeValue } from '../src/describeValue.js';

describe('describeValue', () => {
  it('quotes a string of up to 40 characters whole, and cuts a longer one to 40 and an ellipsis', () => {
    const forty = 'x'.repeat(40);
    expect(describeValue(forty)).toBe(`"${forty}"`);
    expect(describeValue(`${forty}y`)).toBe(`"${forty}…"`);
    expect(describeValue('')).toBe('""');
  });

  it('names only the type of a function, an array or an object, never their content', () => {
    expect(describeValue(() => 'sk-secret')).toBe('a function');
    expect(describeValue(['sk-secret'])).toBe('an array');
    expect(describeValue({ apiKey: 'sk-secret' })).toBe('an object');
  });

  it('gives numbers, booleans, null and undefined as they are', () => {
    expect(describeValue(-1)).toBe('-1');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(true)).toBe('true');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
  });
});
