// The README's example, as written there, against the scripted server.

import assert from "node:assert/strict";
import { test } from "node:test";
import { WebSocket as ws } from "ws";

import { connect, FunctionError } from "remotes-client";
import { net } from "./fixtures/net.js";
import { bytes, hex } from "./helpers/bytes.js";
import { FakeServer, frameOf, Queue, WORKED_WELCOME } from "./helpers/fake-server.js";

test("the README example", async () => {
  const server = await FakeServer.start();
  try {
    const token = "secret";
    const signal = new AbortController().signal;
    const shown = new Queue<string>();
    const show = (text: string) => shown.push(text);

    const connecting = connect(net, server.url, { token, WebSocket: ws }); // options all optional
    const peer = await server.nextPeer();
    await peer.next(); // HELLO
    peer.send(frameOf(WORKED_WELCOME));
    const client = await connecting;

    const buying = client.functions.buyItem.invoke(7, 2); // rejects with a FunctionError
    assert.equal(hex(await peer.next()), "10 00 92 07 02");
    peer.send(bytes("06 12 00 93 07 02 5a"));
    const receipt = await buying;
    assert.equal(receipt.coins_left, 90);

    const slow = client.functions.slow.with({ timeout: 250, signal }).invoke(1000);
    assert.equal(hex(await peer.next()), "11 01 fa 01 91 cd 03 e8");
    peer.send(bytes("03 12 00 c0"));
    assert.equal(await slow, null);

    client.functions.confirm.setCallback(async (prompt) => prompt.length > 0);
    peer.send(bytes('09 10 03 91 a5 "Sell?"'));
    assert.equal(hex(await peer.next()), "12 00 c3");

    const off = client.events.announce.connect((text) => show(text));
    peer.send(bytes("0b 20 06 91 a7 77 65 6c 63 6f 6d 65"));
    assert.equal(await shown.next(), "welcome");
    off();

    client.events.chat.fire("hello");
    assert.equal(hex(await peer.next()), "20 04 91 a5 68 65 6c 6c 6f");

    const late = client.functions.dailyBonus.invoke();
    client.close();
    await assert.rejects(late, (e: unknown) => e instanceof FunctionError && e.kind === "Disconnected");
    assert.equal((await client.closed).kind, "Closed");
  } finally {
    await server.close();
  }
});
