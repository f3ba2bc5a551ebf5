// The benchmark's page server and Socket.IO peer, on 127.0.0.1:
//   node sio-server.mjs DIST_DIR REPORT_FILE  → prints {"port":P} when ready.
// Serves the built page, answers Socket.IO `flood` (count) by emitting `m` {n} count
// times as fast as it can, and writes each POST /report body as a line of REPORT_FILE.
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";

import { Server } from "socket.io";

const [dist, reportFile] = process.argv.slice(2);
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };

const http = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/report") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      appendFileSync(reportFile, body + "\n");
      res.end("ok");
    });
    return;
  }
  const path = normalize(new URL(req.url, "http://x").pathname).replace(/^\/+/, "") || "index.html";
  try {
    const body = readFileSync(join(dist, path));
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});

const io = new Server(http, { transports: ["websocket"] });
io.on("connection", (socket) => {
  socket.on("flood", (count) => {
    for (let n = 0; n < count; n++) socket.emit("m", { n });
  });
});

http.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: http.address().port })));
