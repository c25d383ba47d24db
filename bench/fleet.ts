import { type ChildProcess, fork } from 'node:child_process';
import { startFakeOpenAI } from '../src/testing/index.js';
import type { BenchClient, ClientFactory } from './clients.js';
import type { FleetMessage, FleetReply } from './fleetWorker.js';

const WORKER = new URL('./fleetWorker.ts', import.meta.url);

/** Forked worker processes (bench/fleetWorker.ts), each with its own chat policy. */
export interface Fleet {
  readonly workers: readonly FleetProcess[];
  /** Stops every worker. */
  stop(): Promise<void>;
}

/** One worker: send it a message, wait for its next reply of a type. */
export interface FleetProcess {
  send(message: FleetMessage): void;
  next<T extends FleetReply['type']>(type: T): Promise<Extract<FleetReply, { type: T }>>;
  on(listener: (reply: FleetReply) => void): void;
}

/**
 * Forks `size` workers running bench/fleetWorker.ts with tsx, given the Redis at `redisUrl`, and
 * warms each (one request to a fake server of its own, one PING).
 */
export async function startFleet(size: number, redisUrl: string): Promise<Fleet> {
  const children: ChildProcess[] = [];
  const workers = await Promise.all(
    Array.from({ length: size }, async () => {
      const child = fork(WORKER, [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, REDIS_URL: redisUrl },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`a fleet worker exited with ${code}`)));
      });
      const worker: FleetProcess = {
        send: (message) => child.send(message),
        next: (type) =>
          new Promise((resolve) => {
            const listener = (reply: FleetReply) => {
              if (reply.type !== type) return;
              child.off('message', listener);
              resolve(reply as never);
            };
            child.on('message', listener);
          }),
        on: (listener) => child.on('message', listener),
      };
      return worker;
    }),
  );
  // Warm: each process makes one request (to a server of its own) before any trial.
  const warmUp = await startFakeOpenAI();
  try {
    await Promise.all(
      workers.map((worker) => {
        const ready = worker.next('ready');
        worker.send({ type: 'warm', baseURL: warmUp.baseURL });
        return ready;
      }),
    );
  } finally {
    await warmUp.close();
  }
  return {
    workers,
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.send({ type: 'stop' } satisfies FleetMessage);
            }),
        ),
      );
    },
  };
}

let trials = 0;

/**
 * A bench client made of the first `processes` workers of `fleet`: each builds
 * `createChatPolicy({ name, ...options })`, shared through Redis under a fresh prefix when
 * `shared`; call `i` goes to worker `i % processes`.
 */
export function fleetClient(
  name: string,
  fleet: Fleet,
  processes: number,
  options: Record<string, unknown>,
  shared: boolean,
): ClientFactory {
  return {
    name,
    create(baseURL) {
      const workers = fleet.workers.slice(0, processes);
      const prefix = `bench-${process.pid}-${++trials}`;
      const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
      const ready = Promise.all(
        workers.map((worker) => {
          const started = worker.next('ready');
          worker.send({
            type: 'start',
            baseURL,
            name: 'fleet-chat',
            options,
            ...(shared ? { prefix } : {}),
          });
          return started;
        }),
      );
      for (const worker of workers) {
        worker.on((reply) => {
          if (reply.type !== 'settled') return;
          const call = pending.get(reply.id);
          pending.delete(reply.id);
          if (reply.ok) call?.resolve();
          else call?.reject(new Error(reply.error));
        });
      }
      const client: BenchClient = {
        async chat(model, signal) {
          await ready;
          const id = Number(model.slice(model.lastIndexOf('-') + 1));
          const worker = workers[id % workers.length] as FleetProcess;
          return new Promise<void>((resolve, reject) => {
            pending.set(id, { resolve, reject });
            signal.addEventListener('abort', () => worker.send({ type: 'abort', id }), {
              once: true,
            });
            worker.send({ type: 'call', id, model });
          });
        },
        stream() {
          return Promise.reject(new TypeError(`${name}: streams are not run by a fleet`));
        },
      };
      return client;
    },
  };
}
