import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startLocalHttpApi } from '../../../local/api/http-api';
import { startLocalEventBridge } from '../../../local/events/bus';

/**
 * A caller that goes away in the middle of its request body (a relay runtime killed, a client
 * that gave up, the stack closing under it) aborts the server's body read. The local endpoints
 * drop that connection and keep serving; an unhandled rejection would end the whole process
 * (vitest reports it as an error of this file).
 */
const abortMidBody = async (url: string, headers: Record<string, string>): Promise<void> => {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const head = Object.entries({ host: `${hostname}:${port}`, 'content-length': '1000', ...headers }).map(([k, v]) => `${k}: ${v}`);
  socket.write(`POST /x HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n{"partial":`);
  await sleep(50);
  socket.destroy();
  await sleep(100);
};

describe('a request aborted mid-body', () => {
  it('is dropped by the local HTTP API, which goes on answering', async () => {
    const api = await startLocalHttpApi([
      { method: 'POST', path: '/x', functionName: 'fn', handler: async () => ({ statusCode: 200, body: 'ok' }) },
    ]);
    try {
      await abortMidBody(api.url, { 'content-type': 'application/json' });

      const answer = await fetch(`${api.url}/x`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('is dropped by the local EventBridge endpoint, which goes on answering', async () => {
    const bus = await startLocalEventBridge();
    try {
      await abortMidBody(bus.endpoint, { authorization: 'AWS4-HMAC-SHA256 Credential=local', 'x-amz-target': 'AWSEvents.PutEvents' });

      const { hostname, port } = new URL(bus.endpoint);
      const answer = await fetch(bus.endpoint, {
        method: 'POST',
        body: JSON.stringify({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
        headers: { host: `${hostname}:${port}`, authorization: 'AWS4-HMAC-SHA256 Credential=local', 'x-amz-target': 'AWSEvents.PutEvents' },
      });
      expect(answer.status).toBe(200);
      expect(bus.accepted).toHaveLength(1);
    } finally {
      await bus.close();
    }
  });
});
