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

describe('safeText at its boundaries', () => {
  it('replaces C0 controls up to U+001F and C1 controls U+007F to U+009F, nothing around them', () => {
    expect(safeText('a\u001fb\u0020c\u007ed\u007fe\u009ff\u00a0g')).toBe('a b c~d e f\u00a0g');
  });

  it('drops a high surrogate only when the cut falls right after it', () => {
    // The pair starts at the cut's last character: dropped, whatever follows the pair.
    expect(safeText('ab😀c', 3)).toBe('ab…');
    // A pair two characters after the cut does not matter.
    expect(safeText('abc😀', 2)).toBe('ab…');
    // The first and the last high surrogates, U+D800 and U+DBFF.
    expect(safeText('a\ud800\udc00b', 2)).toBe('a…');
    expect(safeText('a\udbff\udfffb', 2)).toBe('a…');
    // A low surrogate or an ordinary character at the cut stays.
    expect(safeText('a\udc00b', 2)).toBe('a\udc00…');
    expect(safeText('a\ud7ffb', 2)).toBe('a\ud7ff…');
  });

  it('keeps a text that fits, even when it ends in a lone high surrogate', () => {
    expect(safeText('a\ud83d', 2)).toBe('a\ud83d');
    expect(safeText('abc', 3)).toBe('abc');
  });

  it('redacts API keys and bearer tokens, keeping their prefix', () => {
    expect(safeText('key sk-proj-abcdefgh1234 rejected')).toBe('key sk-[redacted] rejected');
    expect(safeText('Authorization: Bearer abcdefgh12')).toBe('Authorization: Bearer [redacted]');
    expect(safeText('sk-short')).toBe('sk-short');
  });
});
