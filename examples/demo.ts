// The main job, `npm run demo`: not built yet (issue 7). It will run chatPolicy and streamPolicy
// through the real openai client against the fake OpenAI server, with no API key.
console.error('npm run demo: the demo is not built yet.');
process.exitCode = 1;
