/**
 * The values inside EventBridge event patterns that both the validator and the local matcher read:
 * CloudFormation intrinsics standing for values, wildcard expressions, IP addresses and CIDR
 * blocks (EventBridge user guide, "Comparison operators": wildcard and IP address matching).
 */

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A CloudFormation intrinsic: one key, `Ref` or `Fn::*`. */
export const isIntrinsic = (value: unknown): boolean => {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] ?? '').startsWith('Fn::'));
};

/**
 * Why a wildcard expression is refused: `**`, or a backslash that escapes neither `*` nor `\`.
 * Positions count UTF-8 bytes from the value's opening quote, as EventBridge's messages do.
 */
export const wildcardProblem = (wildcard: string): string | undefined => {
  const position = (index: number): number => Buffer.byteLength(wildcard.slice(0, index)) + 1;
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard[i];
    if (char === '*' && wildcard[i + 1] === '*') return `Consecutive wildcard characters at pos ${position(i)}`;
    if (char === '\\') {
      const next = wildcard[i + 1];
      if (next !== '*' && next !== '\\') return `Invalid escape character at pos ${position(i)}`;
      i++;
    }
  }
  return undefined;
};

/** The regular expression a valid wildcard expression stands for (anchored, `*` is any run). */
export const wildcardRegExp = (wildcard: string): RegExp => {
  let source = '';
  for (let i = 0; i < wildcard.length; i++) {
    const char = wildcard[i] ?? '';
    if (char === '*') source += '[\\s\\S]*';
    else if (char === '\\') source += escapeRegExp(wildcard[++i] ?? '\\');
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`);
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * An IPv4 (four decimal octets) or IPv6 (hex groups, `::` allowed) address as bytes, or undefined.
 * Like EventBridge, IPv4-mapped IPv6 forms and zone ids are not addresses here.
 */
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

export const parseIpAddress = (text: string): Uint8Array | undefined => {
  if (IPV4_SHAPE.test(text)) {
    const octets = text.split('.').map(Number);
    return octets.every((octet) => octet <= 255) ? Uint8Array.from(octets) : undefined;
  }
  if (!IPV6_SHAPE.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  return Uint8Array.from(groups.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
};

/** The inclusive byte range a CIDR expression covers, or why it is refused. */
export const parseCidr = (cidr: string): { readonly low: Uint8Array; readonly high: Uint8Array } | string => {
  const parts = cidr.split('/');
  if (parts.length !== 2) return "Malformed CIDR, one '/' required";
  const [address = '', mask = ''] = parts;
  if (!/^[+-]?[0-9]+$/.test(mask)) return 'Malformed CIDR, mask bits must be an integer';
  const bits = Number(mask);
  if (bits < 0) return 'Malformed CIDR, mask bits must not be negative';
  const low = parseIpAddress(address);
  if (low === undefined) {
    return IPV4_SHAPE.test(address) || IPV6_SHAPE.test(address)
      ? `Invalid IP address: ${address}`
      : `Nonstandard IP address: ${address}`;
  }
  // EventBridge refuses a host mask (/32, /128): use the address itself as an exact value.
  if (low.length === 4 && bits > 31) return 'IPv4 mask bits must be < 32';
  if (low.length === 16 && bits > 127) return 'IPv6 mask bits must be < 128';
  // As EventBridge does, the range runs from the address as written (not the network address)
  // to the last address of its block.
  const high = Uint8Array.from(low, (byte, index) => {
    const hostBits = Math.min(8, Math.max(0, low.length * 8 - bits - (low.length - 1 - index) * 8));
    return byte | ((1 << hostBits) - 1);
  });
  return { low, high };
};
