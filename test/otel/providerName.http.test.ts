import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument } from '../../src/otel/index.js';
import { createPolicy } from '../../src/pipeline/index.js';
import { replies, startFakeOpenAI } from '../../src/testing/index.js';
import { histogramCount, useTelemetry } from './support.js';

const telemetry = useTelemetry();
const stops: (() => void)[] = [];
let runs = 0;
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  telemetry.spans.reset();
});

/** One failing call (a 500 from the fake server) through a policy instrumented with `attributes`. */
async function failOnce(sdk: 'openai' | 'anthropic', attributes?: Record<string, string>) {
  const server = await startFakeOpenAI({ script: replies.serverError() });
  const policy = createPolicy({
    name: `provider-${sdk}-${++runs}`,
    retry: false,
    circuitBreaker: false,
  });
  const { meterProvider, tracerProvider } = telemetry;
  stops.push(
    instrument(policy, { meterProvider, tracerProvider, ...(attributes && { attributes }) }),
  );
  try {
    await expect(
      policy.execute(
        ({ signal }): Promise<unknown> =>
          sdk === 'openai'
            ? new OpenAI({
                apiKey: 'sk-test',
                baseURL: server.baseURL,
                maxRetries: 0,
              }).chat.completions.create(
                { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
                { signal },
              )
            : new Anthropic({
                apiKey: 'sk-ant-test',
                baseURL: server.origin,
                maxRetries: 0,
              }).messages.create(
                {
                  model: 'claude-sonnet-4-5',
                  max_tokens: 16,
                  messages: [{ role: 'user', content: 'hi' }],
                },
                { signal },
              ),
      ),
    ).rejects.toMatchObject({ status: 500 });
  } finally {
    await server.close();
  }
  const metrics = await telemetry.collect();
  const span = telemetry.spans.getFinishedSpans().find((s) => s.name === policy.name);
  return { duration: metrics.get('gen_ai.client.operation.duration'), span, policy: policy.name };
}

describe('gen_ai.provider.name from the failure', () => {
  it.each([
    ['openai', 'openai'],
    ['anthropic', 'anthropic'],
  ] as const)('names %s on a failure when the attributes do not', async (sdk, name) => {
    const { duration, span, policy } = await failOnce(sdk);
    const match = { 'llm_resilience.policy': policy, 'error.type': 'server' };
    expect(histogramCount(duration, { ...match, 'gen_ai.provider.name': name })).toBe(1);
    expect(span?.attributes['gen_ai.provider.name']).toBe(name);
  });

  it("keeps the user's own provider name", async () => {
    const { duration, span, policy } = await failOnce('openai', {
      'gen_ai.provider.name': 'my-gateway',
    });
    const match = { 'llm_resilience.policy': policy };
    expect(histogramCount(duration, { ...match, 'gen_ai.provider.name': 'my-gateway' })).toBe(1);
    expect(histogramCount(duration, { ...match, 'gen_ai.provider.name': 'openai' })).toBe(0);
    expect(span?.attributes['gen_ai.provider.name']).toBe('my-gateway');
  });
});
