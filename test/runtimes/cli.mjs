// Node, Deno and Bun run this file: `<runtime> cli.mjs <baseURL>`. It prints the story's result
// as one line, `STORY <json>`, for the harness to check.
import { runStory } from './story.mjs';

const args = globalThis.Deno?.args ?? globalThis.process.argv.slice(2);
const result = await runStory(args[0]);
console.log(`STORY ${JSON.stringify(result)}`);
