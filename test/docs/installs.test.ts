// Every package a documentation page imports in its examples, other than llm-resilience itself
// and its peer dependency openai (getting-started.md installs both), is one the page tells the
// reader to install: a package manager that isolates dependencies (pnpm, Yarn PnP) lets an app
// import only what its own package.json lists, even a dependency of llm-resilience.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pages, root } from '../support/docPages.js';

const PROVIDED = /^(llm-resilience(\/.*)?|openai|node:.*)$/;

/** The packages a page's code imports: `from 'name'` or `from 'name/sub'`, scoped or not. */
function importedPackages(markdown: string): Set<string> {
  const names = [...markdown.matchAll(/\bfrom '([^'.][^']*)'/g)].map((match) => {
    const parts = (match[1] ?? '').split('/');
    return (parts[0] ?? '').startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  });
  return new Set(names.filter((name) => !PROVIDED.test(name)));
}

/** The packages a page tells the reader to install (`npm install a b`, in code or in prose). */
function installedPackages(markdown: string): Set<string> {
  const lines = [...markdown.matchAll(/npm install ([^\n`]*)/g)].map((match) => match[1] ?? '');
  return new Set(
    lines.flatMap((line) => line.split(/\s+/).map((word) => word.replace(/@[^@/]*$/, ''))),
  );
}

describe('the documentation says to install every package its examples import', () => {
  it.each(pages)('%s', (page) => {
    const markdown = readFileSync(join(root, page), 'utf8');
    const installed = installedPackages(markdown);
    const missing = [...importedPackages(markdown)].filter((name) => !installed.has(name));
    expect(missing).toEqual([]);
  });
});
