import { describe, expect, it } from "vitest";
import { ClosedCode, DisconnectCode, ErrorCode } from "resocket";

// The module's own copy of the numbers (pkg/wasm/src/codes.rs). The package entry has
// loaded the module already; this is the same file, hence the same instance.
import { codes } from "../dist/wasm/resocket_wasm.js";

/** The name → number pairs of a numeric TypeScript enum. */
function entries(e: object): Record<string, number> {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === "number"));
}

describe("codes", () => {
  it("are the same numbers on both sides of the boundary", () => {
    const rust = JSON.parse(codes()) as Record<string, Record<string, number>>;
    expect(entries(ErrorCode)).toEqual(rust.error);
    expect(entries(DisconnectCode)).toEqual(rust.disconnect);
    expect(entries(ClosedCode)).toEqual(rust.closed);
  });
});
