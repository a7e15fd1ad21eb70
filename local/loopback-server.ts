import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Every local endpoint listens on loopback only (a port of 0 picks a free one). */
export const listenOnLoopback = async (server: Server, port = 0): Promise<LoopbackListener> => {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: async () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * The local AWS endpoints (bus, Lambda `Invoke`, the DynamoDB proxy) serve this machine's SDK
 * clients only. A request must name a loopback host with the endpoint's own port (a page that
 * rebinds its DNS name to 127.0.0.1 still sends its own name) and carry a SigV4 `Authorization`
 * header (a web page cannot set one without a CORS preflight, which these endpoints never grant).
 * Anything else is answered 403 and goes no further. True when the request was refused.
 */
export const refuseUnlessLocalSdk = (request: IncomingMessage, response: ServerResponse): boolean => {
  const port = request.socket.localPort;
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const signed = (request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ');
  if (hosts.has(request.headers.host ?? '') && signed) return false;
  response.writeHead(403, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message: 'This local AWS endpoint answers only signed requests from this machine.' }));
  return true;
};

/** A server listening on loopback whose owner attaches its own `request` handler later. */
export interface ReservedServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly server: Server;
}

/**
 * Listens on a loopback port now and answers `503` until the owner replaces the `request`
 * handler: for what must know its URL before it can serve (the local API, whose URL the queue
 * URLs of the template name).
 */
export const reserveLoopbackServer = async (port = 0): Promise<ReservedServer> => {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end('{"message":"Service Unavailable"}');
  });
  const { endpoint } = await listenOnLoopback(server, port);
  return { url: endpoint, server };
};

/** A request's body, or `undefined` once it passes `maxBytes` (the rest is read and dropped). */
export const readBody = async (request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size > maxBytes ? undefined : Buffer.concat(chunks);
};
