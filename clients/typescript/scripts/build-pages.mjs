// Bundles the pages that run in a browser, with esbuild: the web lobby example (examples/web_lobby/page ->
// page/dist/app.js) and the browser tests' harness (test/browser -> dist/pages/). `remotes-client` resolves to this
// package's sources, so a page is always built from the client as it is in the tree.
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "..");
const lobby = path.resolve(pkg, "../../examples/web_lobby/page");

const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  logLevel: "warning",
  alias: { "remotes-client": path.join(pkg, "src/index.ts") },
  // Dependencies of the package (its MessagePack library) come from its node_modules, wherever the page is.
  nodePaths: [path.join(pkg, "node_modules")],
};

await mkdir(path.join(pkg, "dist/pages"), { recursive: true });
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [path.join(lobby, "main.ts")],
    outfile: path.join(lobby, "dist/app.js"),
    minify: true,
  }),
  esbuild.build({
    ...common,
    entryPoints: [path.join(pkg, "test/browser/harness.ts")],
    outfile: path.join(pkg, "dist/pages/harness.js"),
  }),
  copyFile(path.join(pkg, "test/browser/harness.html"), path.join(pkg, "dist/pages/harness.html")),
]);
