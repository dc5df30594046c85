/**
 * A restricted Python unpickler: protocols 0-5, the opcodes `torch.save`
 * and Lightning checkpoints use, and nothing is ever executed. A global
 * (`GLOBAL` / `STACK_GLOBAL`) is resolved only through the caller's
 * allow-list; any other global is refused with a PickleError naming it, so
 * a hostile file cannot reach `os.system` & co. even in principle. Calls
 * (`REDUCE`, `NEWOBJ`, `BUILD`) hand the allowed global's JS stand-in its
 * arguments; persistent ids (torch's storages) go to `persistentLoad`.
 *
 * Why our own: the npm pickle parsers (pickleparser, jpickle) resolve
 * globals through a registry that falls back to a generic object for
 * unknown names instead of refusing them, and none speaks persistent ids
 * the way torch needs; the opcode table below is ~250 lines.
 */

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleError';
  }
}

/** A pickle that names a global outside the allow-list. */
export class PickleGlobalError extends PickleError {
  constructor(
    source: string,
    readonly global: string,
  ) {
    super(`${source}: refusing global ${global}: not on the allow-list (torch tensor rebuilds, storage types, dtypes, OrderedDict)`);
    this.name = 'PickleGlobalError';
  }
}

/** A Python tuple (kept apart from lists so callers can tell them apart). */
export class PyTuple extends Array<unknown> {}

/** What an allowed global becomes: called by REDUCE / NEWOBJ, updated by BUILD. */
export interface PyGlobal {
  readonly name: string;
  call(args: unknown[]): unknown;
}

/** An inert object for globals the caller allows but never needs to understand (stays opaque). */
export class PyOpaque {
  constructor(
    readonly global: string,
    readonly args: unknown[],
  ) {}
  state: unknown;
}

/** A Python dict (keys may be non-strings: tuples, opaque objects), in insertion order. */
export class PyDict extends Map<unknown, unknown> {
  /** Instance attributes set by BUILD (an OrderedDict state dict's `_metadata`), kept apart from the items. */
  attrs: unknown;
}

export interface UnpickleOptions {
  /** Resolves "module.name" to a stand-in, or undefined to refuse it (PickleError naming it). */
  findGlobal(qualified: string): PyGlobal | undefined;
  /** Resolves a persistent id (BINPERSID / PERSID). Without it, a persistent id is an error. */
  persistentLoad?(pid: unknown): unknown;
  /** For messages. */
  source?: string;
}

const MARK = Symbol('mark');

/** Unpickles one object from `bytes` (the first STOP ends it). */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): unknown {
  return unpickleAt(bytes, 0, opts).value;
}

/** Unpickles the object starting at byte `start`; `end` is the byte after its STOP (files holding several pickles). */
export function unpickleAt(bytes: Uint8Array, start: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const src = opts.source ?? 'pickle';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let pos = start;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (what: string): never => {
    throw new PickleError(`${src}: ${what} (at byte ${pos} of ${bytes.length})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`truncated: needs ${n} more bytes`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    pos += 8;
    const v = view.getBigUint64(pos - 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} too large`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated: unterminated text line');
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  // Callers must take the result before touching `stack` again: it is replaced here.
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) fail('MARK expected');
    stack = prev!;
    return items;
  };
  const global = (module: string, name: string) => {
    const q = `${module}.${name}`;
    const g = opts.findGlobal(q);
    if (!g) throw new PickleGlobalError(src, q);
    return g;
  };
  const call = (f: unknown, args: unknown): unknown => {
    if (!isGlobal(f)) fail('REDUCE/NEWOBJ on something that is not an allowed global');
    if (!Array.isArray(args)) fail(`arguments of ${(f as PyGlobal).name} are not a tuple`);
    return (f as PyGlobal).call(args as unknown[]);
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (kv.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < kv.length; i += 2) dictSet(d, kv[i], kv[i + 1]);
  };
  const dictSet = (d: unknown, k: unknown, v: unknown) => {
    if (d instanceof PyDict) d.set(k, v);
    else fail('SETITEM on something that is not a dict');
  };
  const persistent = (pid: unknown) => {
    if (!opts.persistentLoad) fail('persistent id without a persistent loader');
    return opts.persistentLoad!(pid);
  };
  const tuple = (xs: unknown[]) => PyTuple.from(xs) as PyTuple;
  const long = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`integer ${v} out of the safe range`);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME: framing is transparent when the whole pickle is in memory
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} items on the stack`);
        return { value: stack[0], end: pos };
      }
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(take(u8()))); break; // LONG1
      case 0x8b: stack.push(long(take(u32()))); break; // LONG4
      case 0x47: need(8); pos += 8; stack.push(view.getFloat64(pos - 8, false)); break; // BINFLOAT (big-endian)
      case 0x49: { // INT (text): also True/False as 01/00
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntStrict(s, fail));
        break;
      }
      case 0x4c: stack.push(parseIntStrict(line().replace(/L$/, ''), fail)); break; // LONG (text)
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT (text)
      case 0x58: stack.push(utf8.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8.decode(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII in practice)
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x53: stack.push(line().replace(/^(['"])(.*)\1$/, '$2')); break; // STRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x74: { const t = tuple(popMark()); stack.push(t); break; } // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const l = popMark(); stack.push(l); break; } // LIST
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) fail('APPEND to a non-list'); (l as unknown[]).push(v); break; } // APPEND
      case 0x65: { const vs = popMark(); const l = top(); if (!Array.isArray(l)) fail('APPENDS to a non-list'); (l as unknown[]).push(...vs); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); dictSet(top(), k, v); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const vs = popMark(); const s = top(); if (!(s instanceof Set)) fail('ADDITEMS to a non-set'); for (const v of vs) (s as Set<unknown>).add(v); break; } // ADDITEMS
      case 0x91: { const s = new Set(popMark()); stack.push(s); break; } // FROZENSET
      case 0x70: memo.set(parseIntStrict(line(), fail), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(memoGet(memo, parseIntStrict(line(), fail), fail)); break; // GET
      case 0x68: stack.push(memoGet(memo, u8(), fail)); break; // BINGET
      case 0x6a: stack.push(memoGet(memo, u32(), fail)); break; // LONG_BINGET
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); const f = pop(); stack.push(call(f, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { const kw = pop(); const args = pop(); const cls = pop(); void kw; stack.push(call(cls, args)); break; } // NEWOBJ_EX
      case 0x62: { // BUILD: only our own inert stand-ins take state
        const state = pop();
        const obj = top();
        if (obj instanceof PyOpaque) obj.state = state;
        else if (obj instanceof PyDict) obj.attrs = state;
        else if (!hasBuild(obj)) fail('BUILD on an object that takes no state');
        else obj.build(state);
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID
      default:
        fail(`unsupported or invalid opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function parseIntStrict(s: string, fail: (w: string) => never): number {
  if (!/^[-+]?\d+$/.test(s)) fail(`bad integer literal ${JSON.stringify(s)}`);
  return Number.parseInt(s, 10);
}

function memoGet(memo: Map<number, unknown>, i: number, fail: (w: string) => never): unknown {
  if (!memo.has(i)) fail(`memo key ${i} not set`);
  return memo.get(i);
}

function isGlobal(x: unknown): x is PyGlobal {
  return typeof x === 'object' && x !== null && typeof (x as PyGlobal).call === 'function' && typeof (x as PyGlobal).name === 'string';
}

function hasBuild(x: unknown): x is { build(state: unknown): void } {
  return typeof x === 'object' && x !== null && typeof (x as { build?: unknown }).build === 'function';
}

/** A global that only records its arguments (for allowed names with no meaning to us). */
export function opaqueGlobal(name: string): PyGlobal {
  return { name, call: (args) => new PyOpaque(name, args) };
}
