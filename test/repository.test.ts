// Tests read and write nothing outside the repository: a test that needs a folder beside the
// checkout is skipped, or fails, everywhere else. Every path a test builds from its own location
// (`new URL('…', import.meta.url)`, `resolve(import.meta.dirname, '…')`) stays inside.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return /\.[cm]?ts$/.test(entry.name) ? [path] : [];
  });
}

const RELATIVE_PATHS = [
  /new URL\('(\.[^']*)', import\.meta\.url\)/g,
  /(?:resolve|join)\(import\.meta\.dirname, '(\.[^']*)'/g,
];

/** The paths a file builds from its own location, resolved. */
function pathsBuilt(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return RELATIVE_PATHS.flatMap((pattern) =>
    [...source.matchAll(pattern)].map((match) => resolve(dirname(file), match[1] ?? '')),
  );
}

describe('the tests', () => {
  const files = [...filesUnder(join(root, 'test')), ...filesUnder(join(root, 'bench'))];

  it('find their own files', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap(pathsBuilt).length).toBeGreaterThan(5);
  });

  it('reach nothing outside the repository', () => {
    const outside = files.flatMap((file) =>
      pathsBuilt(file)
        .filter((path) => relative(root, path).startsWith('..'))
        .map((path) => `${relative(root, file)} -> ${path}`),
    );
    expect(outside).toEqual([]);
  });
});
