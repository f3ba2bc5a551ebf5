// Node 20 has no global WebSocket (Node 22 does): give the package the `ws` one, as an
// application on Node 20 would.
import { WebSocket } from "ws";

if (typeof globalThis.WebSocket === "undefined") {
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
}
