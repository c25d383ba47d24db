// The chatPolicy preset's metrics, served to Prometheus at http://127.0.0.1:9464/metrics.
//
//   node --import tsx examples/prometheus.ts        (METRICS_PORT to choose another port)
//
// Without OPENAI_API_KEY it runs against a fake OpenAI server that answers a 429 rate limit, then
// a 500, then the answer: the metrics show the gate's hold, two retries and one call that
// succeeded. It keeps serving the metrics until you press Enter (or stdin closes), so that
// Prometheus, or `curl http://127.0.0.1:9464/metrics`, can scrape them.
// In your code, import from 'llm-resilience' and 'llm-resilience/otel' instead of '../src/...'.
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { chatPolicy } from '../src/index.js';
import { instrument } from '../src/otel/index.js';
import { replies, schedules } from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
const port = Number(process.env.METRICS_PORT ?? 9464);
const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
const meterProvider = new MeterProvider({ readers: [exporter] });
const stop = instrument(chatPolicy, {
  meterProvider,
  attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': model },
});

const { client, close } = await openTarget(
  schedules.sequence(
    replies.rateLimit({ retryAfterMs: 300 }),
    replies.serverError(),
    replies.ok({ content: 'Metrics are cheaper than guesses.' }),
  ),
);
try {
  const completion = await chatPolicy.execute(({ signal }) =>
    client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'Say something about metrics.' }] },
      { signal },
    ),
  );
  console.log(`answer: ${completion.choices[0]?.message.content ?? ''}`);
  console.log(`metrics: http://127.0.0.1:${port}/metrics (press Enter to stop)`);
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdin.once('end', () => resolve());
    process.stdin.resume();
  });
} finally {
  process.stdin.pause();
  stop();
  await close();
  await meterProvider.shutdown();
}
