// Many embedding calls fired at once, paced by the rate-limit gate instead of stampeding: first
// through the embeddingsPolicy preset, which learns the server's limit from its 429s, then through
// a copy given the limit up front (`rateLimit: { requestsPerMinute }`).
//
//   node --import tsx examples/embeddings-bulk.ts
//
// Without OPENAI_API_KEY, 60 calls go at once to a fake OpenAI server whose token bucket allows
// 20 requests a second (burst 20) and answers 429 with the exact wait. Cold, the first wave meets
// the limit (nothing is known yet); then the gate closes for the server's hint and releases the
// waiting calls, retries and new ones in one queue, at the pace the server accepts, so after the
// first wave almost nothing is wasted. With the budget known, about one request per call.
// With OPENAI_API_KEY set it embeds 3 texts for real each time (model OPENAI_EMBEDDING_MODEL,
// default text-embedding-3-small).
// In your code, import from 'llm-resilience' instead of '../src/index.js'.
import { createEmbeddingsPolicy, embeddingsPolicy, type LlmPolicy } from '../src/index.js';
import { schedules } from '../src/testing/index.js';
import { openTarget } from './target.js';

const model = process.env.OPENAI_EMBEDDING_MODEL ?? 'text-embedding-3-small';
const serverLimit = () => schedules.tokenBucket({ ratePerSec: 20, burst: 20 });
const { client, live, fake, close } = await openTarget(serverLimit());
const texts = Array.from({ length: live ? 3 : 60 }, (_, i) => `document number ${i + 1}`);

async function embedAll(policy: LlmPolicy): Promise<void> {
  fake?.setScript(serverLimit()); // a full bucket, as for a fresh server
  const sentBefore = fake?.requests.length ?? 0;
  const startedAt = Date.now();
  const vectors = await Promise.all(
    texts.map((input) =>
      policy.execute(async ({ signal }) => {
        const response = await client.embeddings.create({ model, input }, { signal });
        return response.data[0]?.embedding ?? [];
      }),
    ),
  );
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `${policy.name}: embedded ${vectors.length}/${texts.length} texts (${vectors[0]?.length ?? 0} dimensions) in ${seconds} s`,
  );
  if (fake) {
    const sent = fake.requests.length - sentBefore;
    console.log(
      `${policy.name}: ${sent} requests reached the server, ${(sent / texts.length).toFixed(2)} per call`,
    );
  }
}

embeddingsPolicy.events.on('paced', (e) => {
  console.error(`[paced] ${e.policy}: ${e.ratePerSec.toFixed(1)} requests/s`);
});

try {
  await embedAll(embeddingsPolicy);
  await embedAll(
    createEmbeddingsPolicy({ name: 'embeddings:budgeted', rateLimit: { requestsPerMinute: 1200 } }),
  );
} finally {
  await close();
}
