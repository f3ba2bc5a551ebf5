import { ErrorCode } from "./codes.js";
import { ResocketError } from "./errors.js";
import type { ClientOptions } from "./types.js";

/**
 * The numeric options in the order the module reads them (`pkg/wasm/src/options.rs`,
 * `Slot`): NaN keeps the default, +Infinity turns an optional limit off.
 */
const SLOTS = [
  "backoff.initial",
  "backoff.max",
  "backoff.factor",
  "maxReconnectAttempts",
  "connectTimeout",
  "pingInterval",
  "pingTimeout",
  "queue.maxItems",
  "queue.maxBytes",
  "publishTimeout",
  "callTimeout",
  "callsOnDisconnect",
  "maxPayloadBytes",
  "seed",
] as const;

/** Options that `null` turns off. */
const NULLABLE = new Set<string>(["maxReconnectAttempts", "publishTimeout", "callTimeout"]);

function invalid(name: string, why: string): ResocketError {
  return new ResocketError(ErrorCode.BadPayload, `invalid option \`${name}\`: ${why}`);
}

/**
 * The options as `new RawCore(numbers, token, clientName)` takes them, with `seed` unless
 * the options give one; throws a `ResocketError` naming a bad option.
 */
export function coreOptions(options: ClientOptions, seed: number): [Float64Array, string | undefined, string | undefined] {
  const o = options as Record<string, unknown>;
  const numbers = new Float64Array(SLOTS.length).fill(NaN);
  SLOTS.forEach((name, i) => {
    const [outer, inner] = name.split(".") as [string, string | undefined];
    const v = inner === undefined ? o[outer] : (o[outer] as Record<string, unknown> | undefined)?.[inner];
    if (v === undefined) return;
    if (name === "callsOnDisconnect") {
      if (v !== "fail" && v !== "keep_queued") throw invalid(name, 'expected "fail" or "keep_queued"');
      numbers[i] = v === "fail" ? 0 : 1;
    } else if (v === null && NULLABLE.has(name)) {
      numbers[i] = Infinity;
    } else if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw invalid(name, "expected a finite number, 0 or more");
    } else {
      numbers[i] = v;
    }
  });
  // A seed of 0 would leave the core's default: always draw one.
  const seedSlot = SLOTS.indexOf("seed");
  if (Number.isNaN(numbers[seedSlot]) || numbers[seedSlot] === 0) numbers[seedSlot] = seed;
  if (options.encoding !== undefined && options.encoding !== "msgpack") {
    throw invalid("encoding", "this package speaks MessagePack only");
  }
  for (const name of ["token", "clientName"] as const) {
    const v = options[name];
    if (v !== undefined && v !== null && typeof v !== "string") throw invalid(name, "expected a string");
  }
  return [numbers, options.token ?? undefined, options.clientName];
}
