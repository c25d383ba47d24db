import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from './bundle.js';
import { STORY_DEADLINE_MS, type StoryOutcome } from './spawnStory.js';

const WORKERD = join(import.meta.dirname, 'node_modules', '.bin', 'workerd');

/** The compatibility date the worker declares (a worker deployed today would declare as much). */
export const COMPATIBILITY_DATE = '2026-11-01';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * workerd's configuration: the worker on a socket at 127.0.0.1:`port`, and its outbound fetch
 * allowed to reach loopback ("local"), where the fake server is (workerd allows only public
 * addresses by default).
 */
function config(port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .storyWorker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const storyWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  globalOutbound = "internet",
);
`;
}

async function askUntilUp(url: string, deadline: number): Promise<Response> {
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(STORY_DEADLINE_MS) });
    } catch (error) {
      const refused = (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
      if (!refused || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Plays the story in a worker under workerd: bundles worker.mjs, serves it, asks it once. */
export async function runInWorkerd(baseURL: string): Promise<StoryOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'llm-resilience-workerd-'));
  let stderr = '';
  const port = await freePort();
  await bundle('worker.mjs', join(dir, 'worker.js'), 'worker');
  await writeFile(join(dir, 'config.capnp'), config(port));
  const child = spawn(WORKERD, ['serve', 'config.capnp'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString('utf8');
  });
  try {
    const url = `http://127.0.0.1:${port}/?baseURL=${encodeURIComponent(baseURL)}`;
    const response = await askUntilUp(url, Date.now() + 20_000);
    const text = await response.text();
    if (!response.ok) return { error: `worker answered ${response.status}: ${text.slice(0, 500)}` };
    return { result: JSON.parse(text) };
  } catch (error) {
    return { error: `${String(error)}; workerd: ${stderr.trim().slice(-1_500)}` };
  } finally {
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
