import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CHROMIUM, chromiumVersion, runInChromium } from './browser.js';
import { type StoryOutcome, spawnStory } from './spawnStory.js';
import { runInWorkerd } from './workerd.js';

/** One runtime the story is played in. */
export interface Runtime {
  /** Its name in the report, e.g. `Node 22`. */
  readonly name: string;
  /** Its exact version, read from the runtime itself. */
  version(): Promise<string>;
  /** Plays story.mjs against the fake server at `baseURL`. */
  play(baseURL: string): Promise<StoryOutcome>;
}

const HERE = import.meta.dirname;
const bin = (...path: string[]) => join(HERE, 'node_modules', ...path);
const firstLine = (command: string, args: string[]) =>
  execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '';

/** A runtime that runs cli.mjs from a command line (Node, Deno, Bun). */
function commandLine(name: string, command: string, flags: string[] = []): Runtime {
  return {
    name,
    version: async () =>
      firstLine(command, ['--version'])
        .replace(/^(v|deno )/, '')
        .split(' ')[0] ?? '',
    play: (baseURL) => spawnStory(command, [...flags, 'cli.mjs', baseURL], HERE),
  };
}

/** Every runtime, in the order they are played: the npm `node` package gives each Node line. */
export const RUNTIMES: readonly Runtime[] = [
  commandLine('Node 20', bin('node20', 'bin', 'node')),
  commandLine('Node 22', bin('node22', 'bin', 'node')),
  commandLine('Node 24', bin('node24', 'bin', 'node')),
  // Only the network access the story needs: the fake server on loopback.
  commandLine('Deno', bin('.bin', 'deno'), [
    'run',
    '--no-lock',
    '--allow-net=127.0.0.1',
    '--allow-read',
    '--allow-env',
  ]),
  commandLine('Bun', bin('.bin', 'bun')),
  {
    name: 'workerd',
    version: async () => firstLine(bin('.bin', 'workerd'), ['--version']).replace('workerd ', ''),
    play: runInWorkerd,
  },
  {
    name: 'Chromium',
    version: chromiumVersion,
    play: runInChromium,
  },
];

export { CHROMIUM };
