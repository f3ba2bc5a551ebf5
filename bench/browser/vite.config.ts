// `resocket` is the package in pkg/ (built there into pkg/dist), as an application
// would get it from node_modules. Plain object: vite itself is installed in pkg/.
import { fileURLToPath } from "node:url";

export default {
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { resocket: fileURLToPath(new URL("../../pkg", import.meta.url)) } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  logLevel: "warn",
};
