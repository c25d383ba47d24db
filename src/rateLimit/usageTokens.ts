type Fields = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A count of tokens: a finite number >= 0, else `undefined`. */
function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The sum of the counts present, or `undefined` when none is. */
function sum(...values: unknown[]): number | undefined {
  let total: number | undefined;
  for (const value of values) {
    const n = count(value);
    if (n !== undefined) total = (total ?? 0) + n;
  }
  return total;
}

/**
 * The tokens a usage record counts, in any of the shapes the providers send: OpenAI
 * (`total_tokens`, else `prompt_tokens` + `completion_tokens`, or the Responses API's
 * `input_tokens` + `output_tokens`), Anthropic (`input_tokens` + `cache_creation_input_tokens` +
 * `output_tokens`), Gemini `usageMetadata` (`totalTokenCount`, else `promptTokenCount` +
 * `candidatesTokenCount`) and the AI SDK (`totalTokens`, else `inputTokens` + `outputTokens`, or
 * AI SDK 4's `promptTokens` + `completionTokens`).
 */
function tokensOfUsage(usage: Fields): number | undefined {
  return (
    count(usage.total_tokens) ??
    count(usage.totalTokens) ??
    count(usage.totalTokenCount) ??
    sum(usage.prompt_tokens, usage.completion_tokens) ??
    sum(usage.input_tokens, usage.cache_creation_input_tokens, usage.output_tokens) ??
    sum(usage.inputTokens, usage.outputTokens) ??
    sum(usage.promptTokens, usage.completionTokens) ??
    sum(usage.promptTokenCount, usage.candidatesTokenCount)
  );
}

/**
 * The tokens an LLM reply used, from its `usage` (OpenAI, Anthropic, the AI SDK's `generateText`
 * result, whose `totalUsage` counts every step) or `usageMetadata` (Gemini); `undefined` when it
 * says nothing (a stream, or a reply without usage). Never throws.
 */
export function usageTokensOf(reply: unknown): number | undefined {
  try {
    if (!isRecord(reply)) return undefined;
    for (const key of ['totalUsage', 'usage', 'usageMetadata']) {
      const usage = reply[key];
      if (isRecord(usage)) {
        const tokens = tokensOfUsage(usage);
        if (tokens !== undefined) return tokens;
      }
    }
  } catch {
    // A getter that throws says nothing.
  }
  return undefined;
}

/**
 * The usage a stream reports, read chunk by chunk: the last chunk carrying usage wins (OpenAI's
 * final usage chunk with `stream_options.include_usage`, Gemini's cumulative `usageMetadata`,
 * the AI SDK's `finish` part), the Responses API's `response.completed` event, and Anthropic's
 * `message_start` (input) and `message_delta` (cumulative output) events added up.
 */
export class StreamUsage {
  private input: number | undefined;
  private output: number | undefined;
  private total: number | undefined;

  /** The tokens the stream has reported so far, or `undefined` when it reported none. */
  get tokens(): number | undefined {
    return this.total ?? sum(this.input, this.output);
  }

  /** Looks at the next chunk; never throws. */
  see(chunk: unknown): void {
    try {
      if (!isRecord(chunk)) return;
      const type = chunk.type;
      if (type === 'message_start' && isRecord(chunk.message) && isRecord(chunk.message.usage)) {
        const usage = chunk.message.usage;
        this.input = sum(usage.input_tokens, usage.cache_creation_input_tokens);
        this.output = count(usage.output_tokens);
      } else if (type === 'message_delta' && isRecord(chunk.usage)) {
        const usage = chunk.usage;
        const input = sum(usage.input_tokens, usage.cache_creation_input_tokens);
        if (input !== undefined) this.input = input;
        this.output = count(usage.output_tokens) ?? this.output;
      } else if (type === 'response.completed') {
        this.total = usageTokensOf(chunk.response) ?? this.total;
      } else {
        this.total = usageTokensOf(chunk) ?? this.total;
      }
    } catch {
      // A chunk whose reading throws says nothing.
    }
  }
}
