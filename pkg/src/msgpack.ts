/**
 * JS values ↔ MessagePack payloads, so that Rust clients (`Payload::encode`/`decode`,
 * maps with field names) and JS clients read each other's messages. The mapping follows
 * what the structured-clone algorithm can carry:
 *
 * | JS                                 | MessagePack                  | back to JS                           |
 * |------------------------------------|------------------------------|--------------------------------------|
 * | `null`, `undefined`                | nil                          | `null`                               |
 * | boolean, string                    | bool, str                    | same                                 |
 * | number that is a safe integer      | int                          | number                               |
 * | other number                       | float 64                     | number                               |
 * | `bigint`                           | int (64-bit range)           | number if safe, else `bigint`        |
 * | `Uint8Array`, `ArrayBuffer`, views | bin                          | `Uint8Array`                         |
 * | `Array`, `Set`                     | array                        | `Array`                              |
 * | plain object                       | map with string keys         | plain object                         |
 * | `Map`                              | map                          | object if every key is a string, else `Map` |
 * | `Date`                             | timestamp extension (-1)     | `Date`                               |
 *
 * Incoming payloads that JSON carries exactly never come here: the module transcodes
 * them to JSON text. This decoder handles the rest.
 */
import { ErrorCode } from "./codes.js";
import { PayloadError } from "./errors.js";

/** Deepest nesting converted either way (also stops cycles). */
const MAX_DEPTH = 64;
const TIMESTAMP_EXT = -1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function unsupported(what: string): PayloadError {
  return new PayloadError(ErrorCode.BadPayload, `cannot encode ${what} as a payload`);
}

/** Encodes `value` as one MessagePack value; throws a `PayloadError` for what has none. */
export function encode(value: unknown): Uint8Array {
  const w = new Writer();
  w.value(value, 0);
  return w.bytes();
}

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      grown.set(this.buf);
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  // Each writer reserves before it touches `buf` or `view`: reserving may replace them.

  private byte(b: number): void {
    const at = this.reserve(1);
    this.buf[at] = b;
  }

  private u16(marker: number, n: number): void {
    const at = this.reserve(3);
    this.buf[at] = marker;
    this.view.setUint16(at + 1, n);
  }

  private u32(marker: number, n: number): void {
    const at = this.reserve(5);
    this.buf[at] = marker;
    this.view.setUint32(at + 1, n);
  }

  private raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }

  /** A length header: the fix form (OR-ed with `n`, up to `fixMax`), then 8/16/32 bits. */
  private header(n: number, fix: number, fixMax: number, m8: number, m16: number): void {
    if (n <= fixMax) this.byte(fix | n);
    else if (m8 !== 0 && n <= 0xff) {
      this.byte(m8);
      this.byte(n);
    } else if (n <= 0xffff) this.u16(m16, n);
    else this.u32(m16 + 1, n);
  }

  private int(n: number): void {
    if (n >= 0 && n <= 0x7f) this.byte(n);
    else if (n < 0 && n >= -32) this.byte(n & 0xff);
    else if (n > 0 && n <= 0xff) {
      this.byte(0xcc);
      this.byte(n);
    }
    else if (n > 0 && n <= 0xffff) this.u16(0xcd, n);
    else if (n > 0 && n <= 0xffffffff) this.u32(0xce, n);
    else if (n >= -0x80000000 && n < 0) {
      if (n >= -128) {
        this.byte(0xd0);
        this.byte(n & 0xff);
      } else if (n >= -32768) this.u16(0xd1, n & 0xffff);
      else this.u32(0xd2, n >>> 0);
    } else this.big(BigInt(n));
  }

  private big(n: bigint): void {
    const at = this.reserve(9);
    if (n >= 0n && n <= 0xffffffffffffffffn) {
      this.buf[at] = 0xcf;
      this.view.setBigUint64(at + 1, n);
    } else if (n < 0n && n >= -0x8000000000000000n) {
      this.buf[at] = 0xd3;
      this.view.setBigInt64(at + 1, n);
    } else {
      throw unsupported("a bigint outside the 64-bit range");
    }
  }

  value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw unsupported("a value nested this deep (or a cycle)");
    switch (typeof v) {
      case "undefined":
        return this.byte(0xc0);
      case "boolean":
        return this.byte(v ? 0xc3 : 0xc2);
      case "number":
        if (Number.isSafeInteger(v)) return this.int(v);
        this.byte(0xcb);
        {
          const at = this.reserve(8);
          return this.view.setFloat64(at, v);
        }
      case "bigint":
        if (v >= -0x20000000000000n && v <= 0x1fffffffffffffn) return this.int(Number(v));
        return this.big(v);
      case "string": {
        const bytes = encoder.encode(v);
        this.header(bytes.length, 0xa0, 31, 0xd9, 0xda);
        return this.raw(bytes);
      }
      case "function":
        throw unsupported("a function");
      case "symbol":
        throw unsupported("a symbol");
    }
    if (v === null) return this.byte(0xc0);
    if (Array.isArray(v) || v instanceof Set) {
      const items = Array.isArray(v) ? (v as unknown[]) : [...(v as Set<unknown>)];
      this.header(items.length, 0x90, 15, 0, 0xdc);
      for (const item of items) this.value(item, depth + 1);
      return;
    }
    const bytes =
      v instanceof Uint8Array
        ? v
        : v instanceof ArrayBuffer
          ? new Uint8Array(v)
          : ArrayBuffer.isView(v)
            ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
            : null;
    if (bytes !== null) {
      this.header(bytes.length, 0, -1, 0xc4, 0xc5);
      return this.raw(bytes);
    }
    if (v instanceof Date) return this.date(v.getTime());
    const entries = v instanceof Map ? [...(v as Map<unknown, unknown>)] : Object.entries(v as object);
    this.header(entries.length, 0x80, 15, 0, 0xde);
    for (const [key, item] of entries) {
      this.value(key, depth + 1);
      this.value(item, depth + 1);
    }
  }

  /** The timestamp 96 extension: nanoseconds, then signed seconds. */
  private date(ms: number): void {
    if (!Number.isFinite(ms)) throw unsupported("an invalid Date");
    const secs = Math.floor(ms / 1000);
    const nanos = Math.min(999_999_999, Math.round((ms - secs * 1000) * 1_000_000));
    const at = this.reserve(15);
    this.buf.set([0xc7, 12, TIMESTAMP_EXT & 0xff], at);
    this.view.setUint32(at + 3, nanos);
    this.view.setBigInt64(at + 7, BigInt(secs));
  }
}

/** Decodes one MessagePack value; throws a `PayloadError` for malformed bytes. */
export function decode(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = r.value(0);
  if (r.pos !== bytes.length) throw malformed();
  return value;
}

function malformed(): PayloadError {
  return new PayloadError(ErrorCode.BadPayload, "payload is not valid MessagePack");
}

class Reader {
  pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw malformed();
    this.pos += n;
    return at;
  }

  private uint(width: number): number {
    const at = this.take(width);
    return width === 1 ? this.buf[at]! : width === 2 ? this.view.getUint16(at) : this.view.getUint32(at);
  }

  private slice(n: number): Uint8Array {
    const at = this.take(n);
    return this.buf.slice(at, at + n);
  }

  private int64(signed: boolean): number | bigint {
    const at = this.take(8);
    const n = signed ? this.view.getBigInt64(at) : this.view.getBigUint64(at);
    return n >= -0x1fffffffffffffn && n <= 0x1fffffffffffffn ? Number(n) : n;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new PayloadError(ErrorCode.BadPayload, "payload nested too deep");
    const m = this.buf[this.take(1)]!;
    if (m <= 0x7f) return m;
    if (m >= 0xe0) return m - 0x100;
    if (m <= 0x8f) return this.map(m & 0x0f, depth);
    if (m <= 0x9f) return this.array(m & 0x0f, depth);
    if (m <= 0xbf) return this.str(m & 0x1f);
    switch (m) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return this.slice(this.uint(1 << (m - 0xc4)));
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const n = this.uint(1 << (m - 0xc7));
        return this.ext(n);
      }
      case 0xca:
        return this.view.getFloat32(this.take(4));
      case 0xcb:
        return this.view.getFloat64(this.take(8));
      case 0xcc:
      case 0xcd:
      case 0xce:
        return this.uint(1 << (m - 0xcc));
      case 0xcf:
        return this.int64(false);
      case 0xd0:
        return this.view.getInt8(this.take(1));
      case 0xd1:
        return this.view.getInt16(this.take(2));
      case 0xd2:
        return this.view.getInt32(this.take(4));
      case 0xd3:
        return this.int64(true);
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.ext(1 << (m - 0xd4));
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.str(this.uint(1 << (m - 0xd9)));
      case 0xdc:
      case 0xdd:
        return this.array(this.uint(2 << (m - 0xdc)), depth);
      case 0xde:
      case 0xdf:
        return this.map(this.uint(2 << (m - 0xde)), depth);
    }
    throw malformed();
  }

  private str(n: number): string {
    const at = this.take(n);
    return decoder.decode(this.buf.subarray(at, at + n));
  }

  private array(n: number, depth: number): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }

  /** A plain object when every key is a string, else a `Map`. */
  private map(n: number, depth: number): unknown {
    const entries: [unknown, unknown][] = [];
    let strings = true;
    for (let i = 0; i < n; i++) {
      const key = this.value(depth + 1);
      strings &&= typeof key === "string";
      entries.push([key, this.value(depth + 1)]);
    }
    // `Object.fromEntries` keeps a `__proto__` key an own property.
    return strings ? Object.fromEntries(entries) : new Map(entries);
  }

  /** A timestamp extension as a `Date`; any other extension as `{ type, data }`. */
  private ext(n: number): unknown {
    const type = this.view.getInt8(this.take(1));
    const at = this.pos;
    const data = this.slice(n);
    if (type !== TIMESTAMP_EXT) return { type, data };
    let secs: number;
    let nanos = 0;
    if (n === 4) secs = this.view.getUint32(at);
    else if (n === 8) {
      const v = this.view.getBigUint64(at);
      secs = Number(v & 0x3ffffffffn);
      nanos = Number(v >> 34n);
    } else if (n === 12) {
      nanos = this.view.getUint32(at);
      secs = Number(this.view.getBigInt64(at + 4));
    } else throw malformed();
    return new Date(secs * 1000 + nanos / 1_000_000);
  }
}
