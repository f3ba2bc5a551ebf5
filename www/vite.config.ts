import { defineConfig } from "vite";

// `npm run build` writes dist/, which `cargo run -p resocket-server` serves at / next to
// its WebSocket endpoint. `npm run dev` serves the app with hot reload and forwards /ws
// to a server on 127.0.0.1:8080.
export default defineConfig({
  esbuild: { jsx: "automatic" },
  resolve: {
    // `resocket` is linked from ../pkg, whose own node_modules hold a React for its
    // tests: always take the app's copy so that the hooks and the app share one React.
    dedupe: ["react", "react-dom"],
  },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: {
    proxy: { "/ws": { target: "ws://127.0.0.1:8080", ws: true } },
  },
});
