import type { Server } from 'node:http';
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
