/** One server-sent event carrying `data` as JSON, with an `event:` line when `event` is given. */
export function sseEvent(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** The event that ends a chat completions stream. */
export const SSE_DONE = 'data: [DONE]\n\n';
