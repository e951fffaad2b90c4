// The web lobby example in headless Chromium: a person joins, sees the bots, chats with them, rolls a die and
// answers the server's vote (a call from the server to the page).
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";

import { type Running, startLobby } from "../support/processes.js";
import { launchChromium, screenshot } from "./support.js";

let browser: Browser;
let lobby: Running<string>;

before(async () => {
  [browser, lobby] = await Promise.all([launchChromium(), startLobby()]);
});

after(async () => {
  await Promise.all([browser?.close(), lobby?.kill()]);
});

test("a person chats with the bots, rolls a die and answers a vote", async (t) => {
  const page = await browser.newPage();
  await page.goto(lobby.info);
  await page.locator("#status", { hasText: "connected as player" }).waitFor();
  await page.fill("#name", "Alice");
  await page.click("#join button");
  for (const name of ["Ada", "Byte", "Alice"]) await page.locator("#members li", { hasText: name }).waitFor();

  await page.fill("#text", "hello");
  await page.click("#say button");
  await page.locator("#log li", { hasText: "Alice: hello" }).waitFor();
  await page.locator("#log li", { hasText: "Ada: nice to meet you, Alice! you said: hello" }).waitFor();
  await page.locator("#log li", { hasText: "Byte: olleh" }).waitFor();

  await page.click("#roll");
  await page.locator("#log li", { hasText: /^you rolled [1-6]$/ }).waitFor();

  await page.click("#vote");
  await page.locator("#prompt", { hasText: "Start the next round?" }).waitFor();
  await screenshot(page, "lobby-vote");
  await page.click("#yes");
  // Ada votes yes, Byte no.
  await page.locator("#log li", { hasText: "your vote: 2 yes, 1 no, 0 silent" }).waitFor();
  await screenshot(page, "lobby", t);
  await page.close();
});
