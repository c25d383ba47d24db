/** The SHA-1 of `text` in hex, as Redis names a script (Web Crypto: Node, Deno, Bun, edge). */
export async function sha1(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
