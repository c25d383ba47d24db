import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The part of esbuild's API used here (typed by hand: esbuild is installed in this folder only). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/** esbuild, from this folder's own package.json (not the root's). */
const esbuild = createRequire(import.meta.url)('esbuild') as Esbuild;

/**
 * Bundles `entry` (story.mjs with the built package and the openai client) into one ES module
 * at `outfile`, as a web app's or a worker's build would: for a browser, or with the `workerd`
 * and `worker` export conditions, as Wrangler does.
 */
export async function bundle(entry: string, outfile: string, target: 'browser' | 'worker') {
  await esbuild.build({
    entryPoints: [join(import.meta.dirname, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: target === 'worker' ? ['workerd', 'worker', 'browser'] : ['browser'],
    target: 'es2022',
    logLevel: 'error',
  });
}
