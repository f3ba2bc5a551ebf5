import initModule, { initSync as initModuleSync } from "./wasm/resocket_wasm.js";

/** Where `init()` can load the module from. */
export type WasmSource = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

let ready: Promise<void> | null = null;

/**
 * Loads the WebAssembly module. Optional: a client loads it on `connect()` from next to
 * this file (`resocket_wasm_bg.wasm`, which bundlers such as Vite pick up as an asset).
 * Pass `input` (a URL, `Response`, bytes or `WebAssembly.Module`) to load it from
 * elsewhere, e.g. a CDN.
 */
export function init(input?: WasmSource | Promise<WasmSource>): Promise<void> {
  if (ready === null) {
    const loading = initModule(input === undefined ? undefined : { module_or_path: input });
    ready = loading.then(
      () => undefined,
      (e: unknown) => {
        ready = null;
        throw e;
      },
    );
  }
  return ready;
}

/** Loads the module synchronously from its bytes or a compiled `WebAssembly.Module`. */
export function initSync(module: BufferSource | WebAssembly.Module): void {
  initModuleSync({ module });
  ready = Promise.resolve();
}
