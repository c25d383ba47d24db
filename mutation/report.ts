/**
 * Writes mutation/survivors.md from a Stryker JSON report (reports/mutation/mutation.json, or the
 * path given, such as the core's incremental file with every core run merged in):
 * the score by file, and every mutant that survived or had no covering test, each with the reason
 * from mutation/reasons.json why it is equivalent or not worth a test. Exits with code 1 and
 * lists them when a survivor has no reason: a new survivor needs a test or a written reason.
 *
 * A run scoped with `--mutate` reports only the files it mutated: the reasons for the other files
 * are kept for the next run that mutates them. A reason whose file no longer exists is listed as
 * stale, as is one for a file of the run that matches no survivor.
 *
 * Run after `npm run test:mutation`: `npm run mutation:report`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { markdownTable } from '../bench/markdownTable.js';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}
/** One reason, for every survivor of `file` whose source line contains `line` (and so on). */
interface Reason {
  file: string;
  line: string;
  mutator?: string;
  replacement?: string;
  reason: string;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const reportPath = process.argv[2] ?? 'reports/mutation/mutation.json';
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
const reasons = JSON.parse(readFileSync('mutation/reasons.json', 'utf8')) as Reason[];

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
/** `text` on one line, shortened, as inline code (double backticks: the code may hold one). */
const code = (text: string): string => {
  const short = oneLine(text);
  return `\`\` ${short.length > 90 ? `${short.slice(0, 89)}…` : short} \`\``;
};

function reasonFor(file: string, source: string, mutant: Mutant): Reason | undefined {
  return reasons.find(
    (r) =>
      r.file === file &&
      source.includes(r.line) &&
      (r.mutator === undefined || r.mutator === mutant.mutatorName) &&
      (r.replacement === undefined || oneLine(mutant.replacement ?? '').includes(r.replacement)),
  );
}

let detected = 0;
let ignored = 0;
let undetected = 0;
const byFile: string[][] = [];
const sections: string[] = [];
const unexplained: string[] = [];
const used = new Set<Reason>();
for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) =>
  a.localeCompare(b),
)) {
  const lines = source.split('\n');
  const survivors = mutants
    .filter((m) => UNDETECTED.has(m.status))
    .sort((a, b) => a.location.start.line - b.location.start.line);
  const killed = mutants.filter((m) => DETECTED.has(m.status)).length;
  detected += killed;
  ignored += mutants.filter((m) => m.status === 'Ignored').length;
  undetected += survivors.length;
  const total = killed + survivors.length;
  if (total === 0) continue;
  byFile.push([
    `\`${file}\``,
    `${((100 * killed) / total).toFixed(1)}%`,
    String(killed),
    String(survivors.length),
  ]);
  if (survivors.length === 0) continue;
  const rows = survivors.map((m) => {
    const at = `${m.location.start.line}:${m.location.start.column}`;
    const text = lines[m.location.start.line - 1] ?? '';
    const reason = reasonFor(file, text, m);
    if (reason === undefined) unexplained.push(`${file}:${at} ${m.mutatorName} | ${oneLine(text)}`);
    else used.add(reason);
    return [
      at,
      m.status === 'NoCoverage' ? `${m.mutatorName} (no coverage)` : m.mutatorName,
      `${code(text)} → ${code(m.replacement ?? '')}`,
      reason?.reason ?? '**no reason yet**',
    ];
  });
  sections.push(
    `### \`${file}\`\n\n${markdownTable(
      [
        { header: 'at' },
        { header: 'mutator' },
        { header: 'line → mutant' },
        { header: 'why it survives' },
      ],
      rows,
    )}`,
  );
}

const score = (100 * detected) / (detected + undetected);
const mutated = Object.keys(report.files);
const scope =
  mutated.length === 1
    ? `one file, \`${mutated[0]}\``
    : `${mutated.length} files, those of the table below (a run scoped with \`--mutate\` lists only its own)`;
const doc = `# Surviving mutants

Written by \`npm run mutation:report\` from a Stryker report (\`${reportPath}\`)
and the reasons in [\`mutation/reasons.json\`](../mutation/reasons.json): every mutant that survived
or had no covering test, and why it is equivalent (no input can tell it from the original) or not
worth a test. [docs/quality.md](../docs/quality.md#mutation-testing-npm-run-testmutation) describes the run.

**Score: ${score.toFixed(2)}%** (${detected} of ${detected + undetected} mutants killed or timed out; ${ignored} static mutants not run).
The run mutated ${scope}.

## By file

${markdownTable(
  [
    { header: 'file' },
    { header: 'score', align: 'right' },
    { header: 'killed', align: 'right' },
    { header: 'survived', align: 'right' },
  ],
  byFile,
)}

## Every survivor, with its reason

${sections.join('\n\n')}
`;
writeFileSync('mutation/survivors.md', doc);
console.log(`score ${score.toFixed(2)}%: ${detected} killed, ${undetected} survived`);
const stale = reasons.filter(
  (r) => !used.has(r) && (mutated.includes(r.file) || !existsSync(r.file)),
);
if (stale.length > 0) {
  console.log(
    `${stale.length} reasons match no survivor of this run (killed since, or their file is gone):`,
  );
  for (const r of stale) console.log(`  ${r.file} | ${r.line}`);
}
if (unexplained.length > 0) {
  console.log(`${unexplained.length} survivors have no reason in mutation/reasons.json:`);
  for (const line of unexplained) console.log(`  ${line}`);
  process.exitCode = 1;
}
