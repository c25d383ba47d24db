import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let work: string;
let consumer: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Packs the package as npm would publish it (prepack builds it), installs the tarball into a
// fresh consumer project and loads every entry point with both `import` and `require`.
describe('the packed tarball', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'llmr-pack-'));
    run(npm, ['pack', '--silent', '--pack-destination', work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack wrote no tarball into ${work}`);
    consumer = join(work, 'consumer');
    run('mkdir', ['-p', consumer], work);
    writeFileSync(join(consumer, 'package.json'), '{"name":"consumer","private":true}\n');
    run(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)],
      consumer,
    );
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const probe = `
    const exportsOf = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort();
    const out = {
      root: exportsOf(root),
      policies: exportsOf(policies),
      testing: exportsOf(testing),
      classify: root.classifyOpenAIError({ status: 429, error: { code: 'rate_limit_exceeded' } }).kind,
      samePresets: root.chatPolicy === policies.chatPolicy,
    };
    console.log(JSON.stringify(out));
  `;

  function load(file: string, source: string) {
    writeFileSync(join(consumer, file), source);
    return JSON.parse(run(process.execPath, [file], consumer)) as {
      root: string[];
      policies: string[];
      testing: string[];
      classify: string;
      samePresets: boolean;
    };
  }

  it('loads with import (ESM) and require (CJS), with the same exports', () => {
    const esm = load(
      'probe.mjs',
      `import * as root from 'llm-resilience';
       import * as policies from 'llm-resilience/policies';
       import * as testing from 'llm-resilience/testing';
       ${probe}`,
    );
    const cjs = load(
      'probe.cjs',
      `const root = require('llm-resilience');
       const policies = require('llm-resilience/policies');
       const testing = require('llm-resilience/testing');
       ${probe}`,
    );
    expect(esm.root).toContain('classifyOpenAIError');
    expect(esm.root).toContain('createPolicy');
    expect(esm.root).toContain('chatPolicy');
    expect(esm.policies).toEqual(
      expect.arrayContaining(['chatPolicy', 'embeddingsPolicy', 'streamPolicy']),
    );
    expect(esm.testing).toEqual(expect.arrayContaining(['startFakeOpenAI', 'chaos']));
    expect(esm.classify).toBe('rate_limit');
    // The root and the policies entry point hand out the very same preset instances.
    expect(esm.samePresets).toBe(true);
    expect(cjs).toEqual(esm);
  });

  it('hands out one preset instance per process when both builds are loaded in it', () => {
    const both = load(
      'both.mjs',
      `import { createRequire } from 'node:module';
       import * as esm from 'llm-resilience';
       import * as esmPolicies from 'llm-resilience/policies';
       const require = createRequire(import.meta.url);
       const cjs = require('llm-resilience');
       const cjsPolicies = require('llm-resilience/policies');
       const names = ['chatPolicy', 'embeddingsPolicy', 'streamPolicy'];
       console.log(JSON.stringify({
         twoBuilds: esm.createPolicy !== cjs.createPolicy,
         same: names.filter((n) => esm[n] === cjs[n] && cjsPolicies[n] === esmPolicies[n]),
       }));`,
    ) as unknown as { twoBuilds: boolean; same: string[] };
    expect(both.twoBuilds).toBe(true);
    expect(both.same).toEqual(['chatPolicy', 'embeddingsPolicy', 'streamPolicy']);
  });

  /** Every file a built entry point loads, following its relative imports and requires. */
  function graphOf(entry: string): Map<string, string> {
    const files = new Map<string, string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      const text = readFileSync(file, 'utf8');
      files.set(file, text);
      for (const [, spec] of text.matchAll(/(?:from|import|require\()\s*\(?["'](\.[^"']+)["']/g)) {
        visit(resolve(dirname(file), spec as string));
      }
    };
    visit(join(root, 'dist', entry));
    return files;
  }

  it('only llm-resilience/otel references @opentelemetry/api', () => {
    for (const entry of ['index.js', 'index.cjs', 'policies.js', 'policies.cjs']) {
      const files = graphOf(entry);
      expect(files.size).toBeGreaterThan(1);
      for (const [file, text] of files) {
        expect(text.includes('@opentelemetry'), `${file} (from ${entry})`).toBe(false);
      }
    }
    for (const entry of ['otel.js', 'otel.cjs']) {
      const texts = [...graphOf(entry).values()];
      expect(texts.some((text) => text.includes('@opentelemetry/api'))).toBe(true);
    }
    // The consumer has no @opentelemetry/api (an optional peer), and loads the other entry points.
    expect(() =>
      run(process.execPath, ['-e', 'require.resolve("@opentelemetry/api")'], consumer),
    ).toThrow();
  });

  it('llm-resilience/redis loads with import and require, and imports no Redis package', () => {
    const probe = (load: string) => `
      ${load}
      let message = '';
      try { redis.createRedisStore({ client: {} }); } catch (error) { message = error.constructor.name + ': ' + error.message; }
      console.log(JSON.stringify({ exports: Object.keys(redis).filter((k) => k !== 'default' && k !== '__esModule').sort(), message }));`;
    const esm = load('redis.mjs', probe(`import * as redis from 'llm-resilience/redis';`));
    const cjs = load('redis.cjs', probe(`const redis = require('llm-resilience/redis');`));
    const shape = esm as unknown as { exports: string[]; message: string };
    expect(shape.exports).toEqual(['REDIS_STORE_DEFAULTS', 'RedisStore', 'createRedisStore']);
    expect(shape.message).toMatch(/^TypeError: client must be an ioredis client/);
    expect(cjs).toEqual(esm);
    for (const entry of ['index', 'policies', 'testing', 'otel', 'redis']) {
      for (const ext of ['js', 'cjs']) {
        for (const [file, text] of graphOf(`${entry}.${ext}`)) {
          expect(
            /(?:from|import|require\()\s*\(?["'](?:ioredis|redis|@upstash\/redis)["']/.test(text),
            file,
          ).toBe(false);
        }
      }
    }
  });

  it('ships only the build output and the package documents', () => {
    const listing = run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    const files = (JSON.parse(listing) as [{ files: { path: string }[] }])[0].files.map(
      (f) => f.path,
    );
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.cts');
    expect(
      files.every((f) => /^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(f)),
    ).toBe(true);
  });
});
