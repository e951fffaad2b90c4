// What the browser tests share: Chromium (Debian's, at /usr/bin/chromium or $CHROMIUM), a static file server for
// the built pages, and screenshots in clients/typescript/test-output/.
import { mkdir, readFile } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { TestContext } from "node:test";
import { type Browser, type Page, chromium } from "playwright-core";

export const outputDir = path.resolve("test-output");

/** Headless Chromium with the flags this machine's closed network needs (no background connections). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a screenshot of `page` as test-output/NAME.png and, when given the test, says where in its log. */
export async function screenshot(page: Page, name: string, t?: TestContext): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  const file = path.join(outputDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  t?.diagnostic(`screenshot: ${file}`);
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

/** A static file server on a free loopback port. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves the files of `folder` (relative to the package) at http://127.0.0.1:PORT/. */
export async function serveFolder(folder: string): Promise<Served> {
  const root = path.resolve(folder);
  const server: Server = createServer((request, response) => {
    const name = new URL(request.url ?? "/", "http://x").pathname;
    const file = path.join(root, path.normalize(name));
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) =>
        response.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
