// Starting the Rust processes the integration, browser and benchmark runs talk to: the peer
// (`remotes-typescript-peer`, clients/typescript/peer) and the lobby example (`examples/web_lobby`). Both are built
// by `npm run build:rust` (cargo); their paths follow CARGO_TARGET_DIR when it is set.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";

/** The repository's root: npm runs scripts in the package's folder, `clients/typescript`. */
export const repoRoot = path.resolve(process.cwd(), "../..");
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, "target");

/** The URLs the peer prints when it is up. */
export interface PeerUrls {
  ws: string;
  wss: string;
  mismatch: string;
  mismatchWss: string;
  /** The path of the PEM certificate the `wss://` servers present (self-signed for `localhost`). */
  ca: string;
}

/** A running Rust process and the first line it printed. */
export class Running<T> {
  constructor(
    readonly child: ChildProcess,
    readonly info: T,
  ) {}

  /** Ends the process the way a crash would (SIGKILL), and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }

  /** Asks the process to stop (its standard input closes), and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.stdin?.end();
    await exited;
  }
}

/** Starts `program` and waits for its first line of output, which `parse` reads. */
async function start<T>(program: string, args: string[], parse: (line: string) => T | undefined): Promise<Running<T>> {
  const child = spawn(program, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const failed = once(child, "exit").then(([code]) => {
    throw new Error(`${program} exited (${String(code)}) before it was ready`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      const info = parse(line);
      if (info !== undefined) return info;
    }
    throw new Error(`${program} closed its output before it was ready`);
  })();
  const info = await Promise.race([ready, failed]);
  failed.catch(() => {});
  return new Running(child, info);
}

type Profile = "debug" | "release";
const peerProgram = (profile: Profile) => path.join(targetDir, profile, "remotes-typescript-peer");

/**
 * Starts the peer: the tests use the debug build with the server's default settings; the benchmarks the release
 * build without the receive budget per client (10,000 frames/s by default, which would cap one client's calls).
 */
export function startPeer(profile: Profile = "debug"): Promise<Running<PeerUrls>> {
  const args = profile === "release" ? ["serve", "--no-receive-budget"] : ["serve"];
  return start(peerProgram(profile), args, (line) => JSON.parse(line) as PeerUrls);
}

/** Runs the peer's Rust client (release build) with `args`, and returns what it printed, as JSON. */
async function rustClient<T>(args: string[]): Promise<T> {
  const running = await start(peerProgram("release"), args, (line) => JSON.parse(line) as T);
  if (running.child.exitCode === null) await once(running.child, "exit");
  return running.info;
}

/** The Rust client calling `buy_item(7, 2)` for `millis` ms with `inFlight` calls outstanding (bench/clients.ts). */
export function rustBench(url: string, millis: number, inFlight: number): Promise<{ calls: number; secs: number }> {
  return rustClient(["bench", url, String(millis), String(inFlight)]);
}

/** The Rust client making `calls` calls of `buy_item(7, 2)` one after another, then closing. */
export async function rustCalls(url: string, calls: number): Promise<void> {
  await rustClient(["calls", url, String(calls)]);
}

/** Starts the lobby example on a free port; `info` is the page's URL. */
export function startLobby(): Promise<Running<string>> {
  const program = path.join(targetDir, "debug", "examples", "web_lobby");
  return start(program, ["--addr", "127.0.0.1:0"], (line) => /lobby open at (\S+)/.exec(line)?.[1]);
}
