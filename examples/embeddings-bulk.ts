// Many embedding calls fired at once through the embeddingsPolicy preset, paced by its rate-limit
// gate instead of stampeding.
//
//   node --import tsx examples/embeddings-bulk.ts
//
// Without OPENAI_API_KEY, 60 calls go at once to a fake OpenAI server whose token bucket allows
// 20 requests a second (burst 5) and answers 429 with the exact wait. The first wave meets the
// limit (nothing is known yet); then the gate closes for the server's hint and releases the
// waiting calls, retries and new ones in one queue, at the pace the server accepts. Every call
// succeeds and few requests are wasted. With OPENAI_API_KEY set it embeds 3 texts for real
// (model OPENAI_EMBEDDING_MODEL, default text-embedding-3-small).
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { embeddingsPolicy } from '../src/index.js';
import { schedules } from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_EMBEDDING_MODEL ?? 'text-embedding-3-small';
const { client, live, fake, close } = await openTarget(
  schedules.tokenBucket({ ratePerSec: 20, burst: 5 }),
);

let closings = 0;
embeddingsPolicy.events.on('rateLimited', () => {
  closings += 1;
});
embeddingsPolicy.events.on('paced', (e) => {
  console.error(`[paced] ${e.ratePerSec.toFixed(1)} requests/s`);
});

const texts = Array.from({ length: live ? 3 : 60 }, (_, i) => `document number ${i + 1}`);
const startedAt = Date.now();
try {
  const vectors = await Promise.all(
    texts.map((input) =>
      embeddingsPolicy.execute(async ({ signal }) => {
        const response = await client.embeddings.create({ model, input }, { signal });
        return response.data[0]?.embedding ?? [];
      }),
    ),
  );
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const dimensions = vectors[0]?.length ?? 0;
  console.log(
    `embedded ${vectors.length}/${texts.length} texts (${dimensions} dimensions) in ${seconds} s`,
  );
  if (fake) {
    const sent = fake.requests.length;
    console.log(
      `requests that reached the server: ${sent} (${(sent / texts.length).toFixed(2)} per call); the gate closed ${closings} time(s)`,
    );
  }
} finally {
  await close();
}
