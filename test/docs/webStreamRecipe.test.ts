import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** The code block under the heading `heading` of docs/streaming.md. */
function recipe(heading: string): string {
  const doc = readFileSync(join(root, 'docs/streaming.md'), 'utf8');
  const section = doc.slice(doc.indexOf(`\n${heading}\n`));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error(`no ts block under ${heading} in docs/streaming.md`);
  return block;
}

// Inside node_modules, so that `openai` resolves from the repository's own dependencies.
const work = mkdtempSync(join(root, 'node_modules/.llmr-dom-typecheck-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Type-checks `source` as a Next.js project would: lib ES2022 and DOM, no Node types. */
function typecheckWithDom(name: string, source: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'route.ts'), source);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        paths: { 'llm-resilience': [join(root, 'src/index.ts')] },
      },
      files: ['route.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

describe('docs/streaming.md: the web ReadableStream recipe', () => {
  const source = recipe('## As a web `ReadableStream`');

  it('compiles with lib DOM and no Node types (a Next.js project)', () => {
    expect(typecheckWithDom('recipe', source)).toBe('');
  }, 60_000);

  it('is needed there: ReadableStream.from does not compile with the same settings', () => {
    const withFrom = source.replace('toReadableStream(stream)', 'ReadableStream.from(stream)');
    expect(withFrom).not.toBe(source);
    expect(typecheckWithDom('from', withFrom)).toMatch(/error TS2339: Property 'from'/);
  }, 60_000);
});
