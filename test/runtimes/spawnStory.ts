import { spawn } from 'node:child_process';

/** What a runtime gave back: the story's result, or why there is none. */
export type StoryOutcome = { result: Record<string, unknown> } | { error: string };

/** A story that has not answered after this long has hung: the runtime is stopped. */
export const STORY_DEADLINE_MS = 60_000;

/**
 * Runs `command args` (a runtime playing cli.mjs) and reads the `STORY <json>` line it prints.
 * The process is killed after {@link STORY_DEADLINE_MS}.
 */
export function spawnStory(command: string, args: string[], cwd: string): Promise<StoryOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), STORY_DEADLINE_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ error: `could not start ${command}: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('STORY '));
      if (line === undefined) {
        const why = signal === null ? `exit code ${code}` : `killed (${signal})`;
        resolve({ error: `no result, ${why}: ${(stderr || stdout).trim().slice(-1_500)}` });
        return;
      }
      resolve({ result: JSON.parse(line.slice('STORY '.length)) });
    });
  });
}
