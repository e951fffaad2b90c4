// End-to-end tests in headless Chromium (Debian's, driven by playwright-core): the harness page (harness.ts) calls
// the peer over ws:// and wss://, and each test asserts on what the page shows and saves a screenshot to
// clients/typescript/test-output/.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";

import { type PeerUrls, type Running, startPeer } from "../support/processes.js";
import { launchChromium, screenshot, serveFolder, type Served } from "./support.js";

let browser: Browser;
let pages: Served;
let peer: Running<PeerUrls>;

before(async () => {
  [browser, pages, peer] = await Promise.all([launchChromium(), serveFolder("dist/pages"), startPeer()]);
});

after(async () => {
  await Promise.all([browser?.close(), pages?.close(), peer?.stop()]);
});

/** Opens the harness against `url` (and `mismatch`) and waits until it is connected. */
async function open(context: BrowserContext, url: string, mismatch: string): Promise<Page> {
  const page = await context.newPage();
  const query = new URLSearchParams({ url, mismatch });
  await page.goto(`${pages.url}/harness.html?${query}`);
  await page.locator("#status", { hasText: "connected as player" }).waitFor();
  return page;
}

/** Clicks `id` and waits until its result line says `expected` (a string it contains). */
async function result(page: Page, id: string, expected: string): Promise<string> {
  await page.click(`#${id}`);
  const line = page.locator(`#${id}-result`, { hasText: expected });
  await line.waitFor();
  return (await line.textContent()) ?? "";
}

for (const scheme of ["ws", "wss"] as const) {
  describe(`over ${scheme}://`, () => {
    let context: BrowserContext;
    before(async () => {
      // The wss:// peer presents a certificate made at its start; this context trusts it.
      context = await browser.newContext({ ignoreHTTPSErrors: true });
    });
    after(() => context.close());
    const urls = () => ({
      url: scheme === "ws" ? peer.info.ws : peer.info.wss,
      mismatch: scheme === "ws" ? peer.info.mismatch : peer.info.mismatchWss,
    });

    test("a call both ways", async (t) => {
      const page = await open(context, urls().url, urls().mismatch);
      await result(page, "buy", "item 7, quantity 2, coins left 98");
      await page.click("#ask");
      // The peer calls the page's `confirm`; the page shows the prompt and the test answers it.
      await page.locator("#prompt", { hasText: "Sell item 7?" }).waitFor();
      await screenshot(page, `${scheme}-prompt`);
      await page.click("#yes");
      await page.locator("#ask-result", { hasText: "ask: true" }).waitFor();
      await screenshot(page, `${scheme}-calls-both-ways`, t);
      await page.close();
    });

    test("a call that times out", async (t) => {
      const page = await open(context, urls().url, urls().mismatch);
      assert.equal(await result(page, "slow", "Timeout"), "slow: Timeout");
      await screenshot(page, `${scheme}-timeout`, t);
      await page.close();
    });

    test("a bad argument is refused before it is sent", async (t) => {
      const page = await open(context, urls().url, urls().mismatch);
      assert.equal(await result(page, "bad", "BadRequest"), "bad: BadRequest");
      // The connection is still good.
      await result(page, "buy", "coins left 98");
      await screenshot(page, `${scheme}-bad-argument`, t);
      await page.close();
    });

    test("an interface mismatch is named", async (t) => {
      const page = await open(context, urls().url, urls().mismatch);
      const text = await result(page, "mismatch", "InterfaceMismatch");
      for (const remote of ["buy_item", "slow"]) assert.match(text, new RegExp(remote), text);
      await screenshot(page, `${scheme}-interface-mismatch`, t);
      await page.close();
    });

    test("the server going away mid-call", async (t) => {
      // A peer of its own, killed while the call runs.
      const doomed = await startPeer();
      try {
        const page = await open(context, scheme === "ws" ? doomed.info.ws : doomed.info.wss, urls().mismatch);
        await page.click("#long");
        // A later call's answer proves the long call reached the peer (frames arrive in order).
        await result(page, "buy", "coins left 98");
        await doomed.kill();
        await page.locator("#long-result", { hasText: "long: Disconnected" }).waitFor();
        await page.locator("#status", { hasText: "closed: Disconnected" }).waitFor();
        await screenshot(page, `${scheme}-server-gone`, t);
        await page.close();
      } finally {
        await doomed.kill();
      }
    });
  });
}
