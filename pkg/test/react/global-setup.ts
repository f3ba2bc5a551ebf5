// Starts pkg/test-server (the resocket-server library with restart hooks) on free
// 127.0.0.1 ports for the React tests and stops it when they end. Build it first:
// `cargo build -p resocket-test-server`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    wsUrl: string;
    controlUrl: string;
  }
}

const binary = fileURLToPath(new URL("../../../target/debug/resocket-test-server", import.meta.url));

let server: ChildProcess | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build -p resocket-test-server\` first`);
  }
  const child = spawn(binary, [], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  server = child;
  const ready = await new Promise<{ ws: string; control: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the test server did not start in 10 s")), 10_000);
    child.once("exit", (code) => reject(new Error(`the test server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { ws: string; control: string });
    });
  });
  project.provide("wsUrl", ready.ws);
  project.provide("controlUrl", ready.control);
}

export async function teardown(): Promise<void> {
  const child = server;
  server = null;
  if (child === null || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
