import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_LENGTH, safeText } from '../../src/errors/safeText.js';

describe('safeText', () => {
  it('keeps short text as it is', () => {
    expect(safeText('Rate limit reached.')).toBe('Rate limit reached.');
  });

  it('replaces control characters by spaces', () => {
    expect(safeText('a\r\nb\u001b[31mc\u0000d\u007fe\u0085f')).toBe('a  b [31mc d e f');
  });

  it('cuts at the maximum and marks the cut', () => {
    const text = safeText('x'.repeat(1_000_000));
    expect(text).toBe(`${'x'.repeat(MAX_MESSAGE_LENGTH)}…`);
    expect(safeText('abcdef', 3)).toBe('abc…');
  });

  it('never leaves half of a surrogate pair at the cut', () => {
    const text = safeText(`ab${'😀'.repeat(5)}`, 3);
    expect(text).toBe('ab…');
    expect(safeText(`a${'😀'.repeat(5)}`, 3)).toBe('a😀…');
  });
});
