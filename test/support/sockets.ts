import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** A listening TCP socket as Linux lists it in /proc/net/tcp or tcp6. */
export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

/** This process and every process under it (Linux: /proc). */
export const processTree = (root: number = process.pid): number[] => {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid ...`: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const visit = (pid: number): void => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
};

/** The socket inodes a process holds open. */
const socketInodes = (pid: number): number[] => {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match?.[1] === undefined ? [] : [Number(match[1])];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
};

/** `0100007F` -> `127.0.0.1`; 32 hex digits -> an IPv6 address (each 32-bit word in host order, little-endian here). */
const decodeAddress = (hex: string): string => {
  const bytes = (word: string): string[] => (word.match(/../g) ?? []).reverse();
  if (hex.length === 8) return bytes(hex).map((byte) => parseInt(byte, 16)).join('.');
  const all = (hex.match(/.{8}/g) ?? []).flatMap(bytes).join('');
  const groups = (all.match(/.{4}/g) ?? []).map((group) => parseInt(group, 16).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text.startsWith('0:0:0:0:0:ffff:')) return `::ffff:${bytes(hex.slice(24)).map((byte) => parseInt(byte, 16)).join('.')}`;
  return text;
};

/** Every listening TCP socket in the network namespace of `pid` (default: this process's). */
export const listeningSockets = (pid: number | 'self' = 'self'): ListeningSocket[] =>
  ['tcp', 'tcp6'].flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A') // TCP_LISTEN
      .map((fields) => {
        const [address = '', port = '0'] = (fields[1] ?? '').split(':');
        return { address: decodeAddress(address), port: parseInt(port, 16), inode: Number(fields[9]) };
      });
  });

/** The listening sockets, in this process's network namespace, that this process or one under it holds. */
export const listeningSocketsOfTree = (root: number = process.pid): ListeningSocket[] => {
  const inodes = new Set(processTree(root).flatMap(socketInodes));
  return listeningSockets().filter((socket) => inodes.has(socket.inode));
};

export const isLoopback = (address: string): boolean =>
  address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');

/** The network namespace a process is in, e.g. `net:[4026531840]`. */
export const networkNamespaceOf = (pid: number | 'self'): string => readlinkSync(`/proc/${pid}/ns/net`);

/** The network interfaces a process sees (its namespace's), from /proc/<pid>/net/dev. */
export const interfacesOf = (pid: number): string[] =>
  readFileSync(`/proc/${pid}/net/dev`, 'utf8')
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter(Boolean);

/** The command line of a process, its arguments separated by spaces. */
export const commandLineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};
