// The package's entry under Node: loads the module from the file next to this one, so
// `import { Client } from "resocket"` works without an `init()`. Node 22 has a global
// `WebSocket`; on Node 20 install one first (e.g. `globalThis.WebSocket = (await
// import("ws")).WebSocket`) or run with `--experimental-websocket`.
import { readFileSync } from "node:fs";

import { initSync } from "./wasm.js";

initSync(readFileSync(new URL("./wasm/resocket_wasm_bg.wasm", import.meta.url)));

export * from "./index.js";
