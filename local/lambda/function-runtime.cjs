'use strict';
// The runtime of one local Lambda function: a worker thread with the function's own environment,
// running the bundle `cdk synth` produced. It takes invocations as messages and answers each.
const { parentPort, workerData } = require('node:worker_threads');

let handler;
let initError;
try {
  const module = require(workerData.file);
  handler = module[workerData.exportName];
  if (typeof handler !== 'function') {
    initError = { name: 'Runtime.HandlerNotFound', message: `${workerData.exportName} is not a function in ${workerData.file}` };
  }
} catch (error) {
  initError = { name: 'Runtime.ImportModuleError', message: String(error && error.stack ? error.stack : error) };
}

// The init phase is over: Lambda starts an invocation's timeout only now.
parentPort.postMessage({ ready: true });

parentPort.on('message', async ({ id, event, context }) => {
  if (initError !== undefined) {
    parentPort.postMessage({ id, error: initError });
    return;
  }
  const deadline = Date.now() + context.timeoutMs;
  const lambdaContext = {
    ...context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(event, lambdaContext);
    parentPort.postMessage({ id, result: result === undefined ? null : result });
  } catch (error) {
    parentPort.postMessage({
      id,
      error: { name: (error && error.name) || 'Error', message: String((error && error.message) || error) },
    });
  }
});
