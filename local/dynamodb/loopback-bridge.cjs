'use strict';
// Runs inside DynamoDB Local's own network namespace (see dynamodb-local.ts), where the jar
// listens on every interface, which is only that namespace's loopback. This bridge is the one way
// in: fd 3 is a socket the local stack opened on the machine's 127.0.0.1 (a socket stays in the
// namespace it was made in), and each connection accepted there goes to the jar's port here.
//   node loopback-bridge.cjs <port of the jar>
// Its parent is the jar (the shell that started both exec'd into java). It exits when the jar
// does, and stops the jar when the local stack that started them is gone (its stdin closes).
const net = require('node:net');

const [port] = process.argv.slice(2);
const jar = process.ppid;

const server = net.createServer({ noDelay: true }, (client) => {
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

server.listen({ fd: 3 });
process.stdin.on('end', () => exit(true));
process.stdin.on('error', () => exit(true));
process.stdin.resume();
setInterval(() => {
  if (process.ppid !== jar) exit(false);
}, 500);
