import { request } from 'node:http';

export interface RawResult {
  readonly status: number;
  readonly body: unknown;
}

/**
 * One HTTP request with exactly these headers, `Host` included (fetch sets its own), as a browser
 * on a rebound name or a form post would send it.
 */
export const rawRequest = async (
  url: string,
  init: { readonly method: string; readonly path: string; readonly headers?: Record<string, string>; readonly body?: string },
): Promise<RawResult> => {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: target.hostname, port: target.port, method: init.method, path: init.path, headers: init.headers ?? {} },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text) as unknown;
          } catch {
            body = text;
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    outgoing.once('error', reject);
    outgoing.end(init.body);
  });
};
