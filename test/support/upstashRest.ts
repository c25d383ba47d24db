import { createServer, type IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';

/** A REST server speaking Upstash's protocol, forwarding each command to a real redis-server. */
export interface UpstashRest {
  /** The REST URL to give `new Redis({ url, token })` of @upstash/redis. */
  readonly url: string;
  /** The bearer token it requires. */
  readonly token: string;
  close(): Promise<void>;
}

function body(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

/** Strings base64-encoded, as Upstash answers with `Upstash-Encoding: base64`. */
function encode(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

/**
 * Upstash's REST protocol, the part the store uses: `POST /` with one command as a JSON array,
 * answered `{ result }` (strings base64-encoded when the client asks) or `{ error }` with status
 * 400, and `POST /pipeline` with an array of commands, answered with an array of those; each
 * needs `Authorization: Bearer <token>` and is forwarded to the redis-server at `redisUrl`.
 */
export async function startUpstashRest(redisUrl: string): Promise<UpstashRest> {
  const redis = new Redis(redisUrl, { connectTimeout: 500, retryStrategy: () => 50 });
  redis.on('error', () => {});
  const token = 'upstash-test-token';
  const server = createServer(async (request, response) => {
    const answer = (status: number, payload: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (request.method !== 'POST' || request.headers.authorization !== `Bearer ${token}`) {
      answer(401, { error: 'Unauthorized' });
      return;
    }
    const base64 = request.headers['upstash-encoding'] === 'base64';
    const run = async (command: unknown[]): Promise<{ result: unknown } | { error: string }> => {
      try {
        const [name, ...args] = command.map(String);
        const result = await redis.call(name as string, ...args);
        return { result: base64 ? encode(result) : result };
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    };
    const sent = JSON.parse(await body(request)) as unknown[];
    if (request.url === '/pipeline') {
      answer(200, await Promise.all((sent as unknown[][]).map(run)));
      return;
    }
    const one = await run(sent);
    answer('error' in one ? 400 : 200, one);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}
