// Runs examples/prometheus.ts as a user would (no API key, a fake server) and scrapes its
// Prometheus endpoint over HTTP, as Prometheus would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The value of the sample of `name` whose labels include `labels`; NaN when there is none. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const pairs = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    const rest = line.slice(name.length + 1, line.lastIndexOf('}')).split(',');
    if (pairs.every((pair) => rest.includes(pair))) return Number(line.split(' ').at(-1));
  }
  return Number.NaN;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

it('examples/prometheus.ts serves the policy metrics to a scrape', {
  timeout: 30_000,
}, async () => {
  const port = await freePort();
  const { OPENAI_API_KEY: _key, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/prometheus.ts'], {
    cwd: root,
    env: { ...env, METRICS_PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (stdout.includes('press Enter')) resolve();
      });
      child.once('exit', () => reject(new Error(`the example exited early:\n${stderr}`)));
    });
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const chat = {
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o-mini',
      llm_resilience_policy: 'chat',
    };
    expect(sample(text, 'gen_ai_client_operation_duration_count', chat)).toBe(1);
    const retries = { ...chat, event_name: 'retry', event_severity: 'warn' };
    expect(
      sample(text, 'llm_resilience_events_total', { ...retries, error_type: 'rate_limit' }),
    ).toBe(1);
    expect(sample(text, 'llm_resilience_events_total', { ...retries, error_type: 'server' })).toBe(
      1,
    );
    const third = { ...chat, llm_resilience_attempt_number: '3' };
    expect(sample(text, 'llm_resilience_attempt_duration_count', third)).toBe(1);
    expect(sample(text, 'llm_resilience_circuit_state', chat)).toBe(0);
    expect(sample(text, 'llm_resilience_rate_limit_wait_sum', chat)).toBeGreaterThanOrEqual(0.25);
    expect(text).not.toContain('fake-key');
    expect(text).not.toContain('Say something');
    expect(stdout).toContain('answer: Metrics are cheaper than guesses.');
  } finally {
    child.stdin.end();
    const [code] = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }
});
