// Every relative link in docs/*.md (and README.md) points to a file that exists and, with a
// #fragment into a markdown page, to a heading of that page (GitHub's anchor rules), so that
// renaming a page or a heading cannot leave the documentation with dead links.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pages, root } from '../support/docPages.js';

/** The text outside fenced code blocks, where `[a](b)` is code, not a link. */
const prose = (markdown: string) => markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(file: string): Set<string> {
  const headings = prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6} (.+)$/gm);
  return new Set([...headings].map((match) => anchorOf(match[1] ?? '')));
}

function deadLinks(page: string): string[] {
  const file = join(root, page);
  const dead: string[] = [];
  for (const [, target = ''] of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [path = '', fragment] = target.split('#');
    const linked = path === '' ? file : join(dirname(file), path);
    if (!existsSync(linked)) dead.push(`${target} (no file ${relative(root, linked)})`);
    else if (fragment !== undefined && linked.endsWith('.md') && !anchorsOf(linked).has(fragment)) {
      dead.push(`${target} (no heading #${fragment})`);
    }
  }
  return dead;
}

describe('documentation links', () => {
  it('finds the pages and the anchor rules match GitHub', () => {
    expect(pages).toContain('docs/getting-started.md');
    expect(anchorOf('A timeout made of `Promise.race`')).toBe('a-timeout-made-of-promiserace');
    expect(anchorOf("How this differs from the openai SDK's own retries")).toBe(
      'how-this-differs-from-the-openai-sdks-own-retries',
    );
  });

  it.each(pages)('%s has no dead relative link', (page) => {
    expect(deadLinks(page)).toEqual([]);
  });
});
