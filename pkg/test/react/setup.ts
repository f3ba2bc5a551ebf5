// Vitest's jsdom environment replaces `ArrayBuffer` and `Uint8Array` with those of
// jsdom's realm, but the WebAssembly module's memory and Node's sockets use Node's. The
// module's glue checks `instanceof` against the globals, so give it Node's back, and
// use the `ws` WebSocket (Node's realm too) instead of jsdom's. The module is read from
// the file, as `init()` cannot fetch it under Node.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { cleanup } from "@testing-library/react";
import { initSync } from "resocket";
import { afterEach } from "vitest";
import { WebSocket } from "ws";

import { untilMetric } from "./server.js";

const nodeGlobals = globalThis as unknown as Record<string, unknown>;
nodeGlobals.Uint8Array = Object.getPrototypeOf(Buffer.prototype).constructor;
nodeGlobals.ArrayBuffer = Buffer.alloc(1).buffer.constructor;
nodeGlobals.WebSocket = WebSocket;

// A path, not a URL object: `URL` is jsdom's here, which `readFileSync` refuses.
const dist = fileURLToPath(import.meta.url).replace(/test\/react\/setup\.ts$/, "dist");
initSync(readFileSync(`${dist}/wasm/resocket_wasm_bg.wasm`));

// Every test ends with the server back to no connection, so that the next one can
// count sockets and subscriptions from a clean start.
afterEach(async () => {
  cleanup();
  await untilMetric("resocket_connections", 0);
});
