import { readFile } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A page server on localhost: the page, its script, and /v1/ passed on to the fake server. */
export interface PageServer {
  /** The page's URL, `http://localhost:PORT/`. */
  readonly url: string;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>llm-resilience story</title></head>
<body><script type="module">
import { runStory } from './story.js';
window.storyResult = runStory(location.origin + '/v1');
</script></body></html>`;

/**
 * Passes a request on to `target` and its answer back as it comes (SSE chunks too); when the
 * browser leaves (an aborted fetch closes its connection), the request to `target` is ended too,
 * so the fake server sees the client go as it would without the proxy.
 */
function forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/**
 * Serves the story page and the bundle at `scriptPath` on localhost. The page calls its own
 * origin, as a web app calls its backend: the browser's same-origin rule keeps a page from
 * reading another origin's answers (the fake server sends no CORS headers), so /v1/ is passed
 * on to `fakeBaseURL`.
 */
export function startPageServer(scriptPath: string, fakeBaseURL: string): Promise<PageServer> {
  const target = new URL(fakeBaseURL);
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/v1/')) {
      forward(req, res, target);
    } else if (req.url === '/story.js') {
      readFile(scriptPath).then(
        (script) => {
          res.writeHead(200, { 'content-type': 'text/javascript' });
          res.end(script);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://localhost:${port}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
