'use strict';
// Runs inside DynamoDB Local's own network namespace (see dynamodb-local.ts): the jar listens
// there on every interface, which is only that namespace's loopback, and this bridge is the one
// way in: a unix socket on the shared filesystem, forwarded to the jar's port.
//   node loopback-bridge.cjs <unix socket path> <port of the jar>
// Its parent is the jar (the shell that started both exec'd into java). It exits when the jar
// does, and stops the jar when the local stack that started them is gone (its stdin closes).
const fs = require('node:fs');
const net = require('node:net');

const [socketPath, port] = process.argv.slice(2);
const jar = process.ppid;

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: Number(port), noDelay: true });
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
});

const exit = (stopJar) => {
  if (stopJar && process.ppid === jar) {
    try {
      process.kill(jar, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(0);
};

try {
  fs.unlinkSync(socketPath);
} catch {
  // none left over
}
server.listen(socketPath);
process.stdin.on('end', () => exit(true));
process.stdin.on('error', () => exit(true));
process.stdin.resume();
setInterval(() => {
  if (process.ppid !== jar) exit(false);
}, 500);
