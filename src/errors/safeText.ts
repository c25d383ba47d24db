/** The longest text kept in a classification's `message` (default of {@link safeText}). */
export const MAX_MESSAGE_LENGTH = 500;

/** An API key or a bearer token, as a server or a proxy may echo it in a message. */
const SECRET = /\b(sk-|Bearer\s+)[\w-]{8,}/gi;

/**
 * Text fit for a log line: at most `maxLength` characters (default 500, then `…`), control
 * characters (CR, LF, ESC, ...) replaced by spaces, no half of a surrogate pair left at the cut.
 * Reads only the characters it keeps, so a megabyte of input costs no more than 500 characters.
 * An API key (`sk-...`) or bearer token a server echoes is replaced by `[redacted]`.
 */
export function safeText(text: string, maxLength = MAX_MESSAGE_LENGTH): string {
  let end = Math.min(text.length, maxLength);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    out += code <= 0x1f || (code >= 0x7f && code <= 0x9f) ? ' ' : text.charAt(i);
  }
  return (end < text.length ? `${out}…` : out).replace(SECRET, '$1[redacted]');
}
