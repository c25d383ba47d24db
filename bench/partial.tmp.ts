import { writeFile } from 'node:fs/promises';
import { scenarioSection } from './report.js';
import { s7Fleet } from './scenarios/s7Fleet.js';
import { storeOverhead } from './storeOverhead.js';
const out: string[] = [];
for (const s of [s7Fleet, storeOverhead]) {
  const r = await s.run();
  if (r.chart) await writeFile(new URL(`../docs/${r.chart.file}`, import.meta.url), r.chart.svg);
  out.push(scenarioSection(r));
}
await writeFile('/tmp/sections.md', out.join('\n\n'));
process.exit(0);
