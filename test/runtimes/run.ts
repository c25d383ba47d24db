// npm run test:runtimes: plays story.mjs in every runtime against a fresh fake server, checks each
// result the same way, prints one line per runtime and a closing `N passed, N failed` line.
// `npm run test:runtimes -- deno bun` plays only the runtimes whose names contain those words.
import { type RecordedRequest, startFakeOpenAI } from '../../src/testing/index.js';
import { checkStory, type StoryResult } from './checkStory.js';
import { storyScript } from './fakeScript.js';
import { RUNTIMES, type Runtime } from './runtimes.js';

async function play(runtime: Runtime): Promise<{ version: string; problems: string[] }> {
  let version = '?';
  const fake = await startFakeOpenAI({ script: storyScript() });
  try {
    version = await runtime.version();
    const outcome = await runtime.play(fake.baseURL);
    if ('error' in outcome) return { version, problems: [outcome.error] };
    const requests: RecordedRequest[] = [...fake.requests];
    return { version, problems: checkStory(outcome.result as unknown as StoryResult, requests) };
  } catch (error) {
    return { version, problems: [String(error)] };
  } finally {
    await fake.close();
  }
}

const wanted = process.argv.slice(2).map((word) => word.toLowerCase());
const chosen = RUNTIMES.filter(
  (r) => wanted.length === 0 || wanted.some((word) => r.name.toLowerCase().includes(word)),
);
let passed = 0;
let failed = 0;
for (const runtime of chosen) {
  const started = performance.now();
  const { version, problems } = await play(runtime);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const label = `${runtime.name} ${version}`.padEnd(28);
  if (problems.length === 0) {
    passed++;
    console.log(`pass  ${label} ${seconds} s`);
  } else {
    failed++;
    console.log(`FAIL  ${label} ${seconds} s`);
    for (const problem of problems) console.log(`      ${problem}`);
  }
}
console.log(`runtimes: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
