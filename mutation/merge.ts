/**
 * Merges the results of one Stryker run into another's report (both in Stryker's JSON format, as
 * its incremental file and `reports/mutation/mutation.json` are), so that scoped runs made side
 * by side, or the static mutants' run, count in one report:
 *
 * - `tsx mutation/merge.ts INTO FROM`: every file FROM mutated replaces its entry in INTO;
 * - `tsx mutation/merge.ts INTO FROM --static`: FROM's static mutants that ran replace the same
 *   mutants (same place, mutator and replacement) in INTO, unless INTO already detected them.
 *
 * Ids are numbered by each run: merged mutants get new ids, and the tests named by FROM's mutants are found in INTO by file
 * and name (and added when INTO has no such test). INTO is rewritten.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Mutant {
  id?: string | undefined;
  mutatorName: string;
  replacement?: string;
  status: string;
  static?: boolean;
  killedBy?: string[] | undefined;
  coveredBy?: string[] | undefined;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}
interface Report {
  files: Record<string, { mutants: Mutant[] }>;
  testFiles?: Record<string, { tests: { id: string; name: string }[] }>;
}

const [intoPath, fromPath, flag] = process.argv.slice(2);
if (intoPath === undefined || fromPath === undefined || (flag !== undefined && flag !== '--static'))
  throw new Error('usage: tsx mutation/merge.ts INTO FROM [--static]');
const into = JSON.parse(readFileSync(intoPath, 'utf8')) as Report;
const from = JSON.parse(readFileSync(fromPath, 'utf8')) as Report;

const testsOf = (report: Report) => Object.entries(report.testFiles ?? {});
const fromTests = new Map(
  testsOf(from).flatMap(([file, { tests }]) => tests.map((t) => [t.id, { file, name: t.name }])),
);
const intoTests = into.testFiles ?? {};
into.testFiles = intoTests;
let nextId = Math.max(-1, ...testsOf(into).flatMap(([, { tests }]) => tests.map((t) => +t.id))) + 1;
/** INTO's id of the test FROM numbers `id`. */
function idInto(id: string): string {
  const test = fromTests.get(id);
  if (test === undefined) throw new Error(`${fromPath} names test ${id}, which it does not list`);
  const file = intoTests[test.file] ?? { tests: [] };
  intoTests[test.file] = file;
  let found = file.tests.find((t) => t.name === test.name);
  if (found === undefined) {
    found = { id: String(nextId++), name: test.name };
    file.tests.push(found);
  }
  return found.id;
}
let nextMutantId =
  Math.max(-1, ...Object.values(into.files).flatMap((f) => f.mutants.map((m) => +(m.id ?? -1)))) +
  1;
const remapped = (m: Mutant): Mutant => ({
  ...m,
  id: String(nextMutantId++),
  killedBy: m.killedBy?.map(idInto),
  coveredBy: m.coveredBy?.map(idInto),
});
const place = (m: Mutant): string =>
  `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement}`;

let merged = 0;
for (const [file, entry] of Object.entries(from.files)) {
  if (flag === undefined) {
    into.files[file] = { ...entry, mutants: entry.mutants.map(remapped) };
    merged += entry.mutants.length;
    continue;
  }
  const target = into.files[file];
  if (target === undefined) throw new Error(`${intoPath} has no results for ${file}`);
  const byPlace = new Map(target.mutants.map((m, i) => [place(m), i]));
  for (const m of entry.mutants) {
    if (!m.static || m.status === 'Ignored') continue;
    const i = byPlace.get(place(m));
    const old = i === undefined ? undefined : target.mutants[i];
    if (i === undefined || old === undefined)
      throw new Error(`${intoPath} has no mutant ${file} ${place(m)}`);
    if (old.status === 'Killed' || old.status === 'Timeout') continue;
    target.mutants[i] = { ...remapped(m), id: old.id };
    merged++;
  }
}
writeFileSync(intoPath, JSON.stringify(into));
console.log(`${merged} mutants from ${fromPath} merged into ${intoPath}`);
