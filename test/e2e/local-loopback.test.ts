import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadOrdersAssembly, startOrdersStack } from '../../local/apps/orders-stack';
import type { LocalStack } from '../../local/stack';
import {
  commandLineOf,
  interfacesOf,
  isLoopback,
  listeningSockets,
  listeningSocketsOfTree,
  networkNamespaceOf,
  processTree,
} from '../support/sockets';

/**
 * The local stack as `npm start` runs it (its own DynamoDB Local, in memory) answers this machine
 * only: every socket it listens on is on loopback, DynamoDB Local's included, which has no
 * option to choose its address and so runs in a network namespace of its own.
 */
let stack: LocalStack;
const warnings: string[] = [];

beforeAll(async () => {
  stack = await startOrdersStack({
    port: 0,
    assembly: loadOrdersAssembly(inject('cloudAssemblyDir')),
    log: () => undefined,
    warn: (line) => warnings.push(line),
  });
});

afterAll(async () => {
  await stack?.close();
});

const portOf = (url: string): number => Number(new URL(url).port);

const jarProcess = (): number | undefined => processTree().find((pid) => commandLineOf(pid).includes('DynamoDBLocal.jar'));

describe.runIf(process.platform === 'linux')('the local stack on the network', () => {
  it('listens on loopback only: the API, the bus and Lambda endpoints, the DynamoDB proxy and DynamoDB Local', () => {
    const sockets = listeningSocketsOfTree();

    expect(sockets.map((socket) => socket.port)).toEqual(
      expect.arrayContaining([stack.url, stack.eventBridgeEndpoint, stack.lambdaEndpoint, stack.dynamodbEndpoint].map(portOf)),
    );
    expect(sockets.filter((socket) => !isLoopback(socket.address))).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('runs DynamoDB Local in a network namespace of its own, whose only interface is its loopback', () => {
    const jar = jarProcess();

    expect(stack.dynamodbIsolation).toBe('network-namespace');
    expect(jar).toBeDefined();
    expect(networkNamespaceOf(jar as number)).not.toBe(networkNamespaceOf('self'));
    expect(interfacesOf(jar as number)).toEqual(['lo']);
    // In there it listens on every address, which is only that loopback.
    expect(listeningSockets(jar as number).map((socket) => socket.port)).toContain(8000);
  });

  it('leaves no DynamoDB Local or bridge behind once closed', async () => {
    const before = processTree();
    const jar = jarProcess();

    await stack.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const left = processTree().filter((pid) => /DynamoDBLocal\.jar|loopback-bridge/.test(commandLineOf(pid)));
    expect(jar !== undefined && before.includes(jar)).toBe(true);
    expect(left).toEqual([]);
  });
});
