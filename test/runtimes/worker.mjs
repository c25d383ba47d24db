// The Cloudflare worker workerd runs (bundled by esbuild, as Wrangler does): GET /?baseURL=...
// plays the story against the fake server and answers with its result as JSON.
import { runStory } from './story.mjs';

export default {
  async fetch(request) {
    const baseURL = new URL(request.url).searchParams.get('baseURL');
    if (!baseURL) return new Response('baseURL missing', { status: 400 });
    return Response.json(await runStory(baseURL));
  },
};
