import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The redis-server binary the tests and the bench start. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server on 127.0.0.1: its port, and (for one this helper started) how to stop it. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Whether this helper started it (a server of its own: it may be stopped, paused, flushed). */
  readonly own: boolean;
  /** Stops it for good (a no-op for the shared one on 6379) and removes its temp dir. */
  stop(): Promise<void>;
  /** Kills it, as a crash would; {@link RedisServer.restart} starts it again (own servers only). */
  kill(): Promise<void>;
  /** Kills it if it runs, and starts it again on the same port, empty (own servers only). */
  restart(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves once a PING on `port` gets PONG, rejects after `timeoutMs`. */
export async function waitForRedis(port: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pings(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a redis-server answers PING on `port`. */
export function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Starts a redis-server of its own on a free port (or `port`), in a temp dir, with no
 * persistence (`--save '' --appendonly no`) and `args` added, and resolves once it answers.
 */
export async function startRedisServer(port?: number, args: string[] = []): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'llmr-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    mkdirSync(dir, { recursive: true });
    child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(chosen),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...args,
      ],
      { stdio: process.env.REDIS_SERVER_LOG ? 'inherit' : 'ignore' },
    );
    await waitForRedis(chosen);
  };
  const halt = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    own: true,
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    kill: halt,
    async restart() {
      await halt();
      await start();
    },
  };
}

/**
 * The redis-server on 127.0.0.1:6379 when one answers there, otherwise one of this helper's own.
 * Use it for tests that only read and write their own keys; fault tests take {@link startRedisServer}.
 */
export async function useRedis(): Promise<RedisServer> {
  if (await pings(6379)) {
    return {
      port: 6379,
      url: 'redis://127.0.0.1:6379',
      own: false,
      stop: async () => {},
      kill: () => Promise.reject(new Error('the shared redis-server is never killed')),
      restart: () => Promise.reject(new Error('the shared redis-server is never restarted')),
    };
  }
  return startRedisServer();
}

/** A Redis Cluster of `masters` redis-servers of its own (no replicas), once every slot is served. */
export async function startRedisCluster(masters = 3): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < masters; i++) {
    servers.push(await startRedisServer(undefined, ['--cluster-enabled', 'yes']));
  }
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  await new Promise<void>((resolve, reject) => {
    const cli = spawn(
      'redis-cli',
      ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      { stdio: 'ignore' },
    );
    cli.once('error', reject);
    cli.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-cli --cluster create exited ${code}`)),
    );
  });
  return servers;
}
