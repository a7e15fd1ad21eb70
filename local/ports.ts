import { createServer } from 'node:net';

/** A port that was free a moment ago, chosen by the OS. */
export const freePort = async (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') {
          reject(new Error('Could not determine a free port.'));
        } else {
          resolve(address.port);
        }
      });
    });
  });
