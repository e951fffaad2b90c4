// The client in Node against the real Rust server (the peer, clients/typescript/peer), over ws:// and wss://.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";

import { type Client, ConnectError, FunctionError, connect } from "remotes-client";
import { type Everything, type NetRemotes, net } from "../peer/net.js";
import { type PeerUrls, type Running, startPeer } from "../support/processes.js";

let peer: Running<PeerUrls>;

before(async () => {
  peer = await startPeer();
});

after(() => peer.stop());

/** `ws`'s WebSocket, trusting the peer's certificate for wss://. */
function trusting(ca: string) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { ca });
    }
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

async function functionError(promise: Promise<unknown>): Promise<string> {
  const error = await rejection(promise);
  assert.ok(error instanceof FunctionError, String(error));
  return error.kind;
}

const everything = (): Everything => ({
  flag: true,
  small: 255,
  medium: 65_535,
  big: 4_294_967_295,
  huge: 18_446_744_073_709_551_615n,
  giant: 340_282_366_920_938_463_463_374_607_431_768_211_455n,
  tiny: -128,
  short: -32_768,
  int: -2_147_483_648,
  long: -9_223_372_036_854_775_808n,
  wide: -170_141_183_460_469_231_731_687_303_715_884_105_728n,
  single: 1.5,
  double: 0.1,
  letter: "é",
  name: "snowman ☃",
  maybe: null,
  list: [1, 2, 3],
  scores: new Map([
    [1, "one"],
    [200, "two hundred"],
  ]),
  pair: [7, "seven"],
  triple: [1, 2, 3],
  shape: { Rect: { w: 2, h: 3.5 } },
  shapes: ["Empty", { Circle: 1.25 }, { Pair: [-1, 300] }, { Rect: { w: 0, h: 0 } }],
  id: 42,
  tree: { label: "root", children: [{ label: "leaf", children: [] }] },
});

for (const scheme of ["ws", "wss"] as const) {
  describe(`against the Rust peer over ${scheme}://`, () => {
    let client: Client<NetRemotes>;
    const url = () => (scheme === "ws" ? peer.info.ws : peer.info.wss);
    const options = () => ({ WebSocket: trusting(readFileSync(peer.info.ca, "utf8")) });

    before(async () => {
      client = await connect(net, url(), options());
    });
    after(() => client.close());

    test("calls return the server's value", async () => {
      assert.deepEqual(await client.functions.buyItem.invoke(7, 2), { item: 7, quantity: 2, coins_left: 98 });
      assert.equal(await client.functions.shop.price.invoke(4), 40);
      assert.equal(await client.functions.shop.price.invoke(3), null);
      assert.equal(await client.functions.slow.invoke(1), null);
    });

    test("every shape survives a round trip through Rust", async () => {
      assert.deepEqual(await client.functions.echo.invoke(everything()), everything());
      const small = { ...everything(), huge: 5, giant: 6, long: -7, wide: 8 };
      const back = await client.functions.echo.invoke(small);
      assert.deepEqual([back.huge, back.giant, back.long, back.wide], [5, 6, -7, 8]);
    });

    test("16 calls in flight settle with their own values", async () => {
      const calls = Array.from({ length: 16 }, (_, i) => client.functions.buyItem.invoke(i, (i % 99) + 1));
      const receipts = await Promise.all(calls);
      receipts.forEach((receipt, i) => assert.equal(receipt.item, i));
    });

    test("a function without a callback is Unprocessed", async () => {
      assert.equal(await functionError(client.functions.dailyBonus.invoke()), "Unprocessed");
    });

    test("constraints are checked before sending", async () => {
      assert.equal(await functionError(client.functions.buyItem.invoke(7, 0)), "BadRequest");
      assert.equal(await functionError(client.functions.buyItem.invoke(7, 100)), "BadRequest");
      // 12 bytes of UTF-8 pass, 13 do not, whatever the number of characters.
      assert.equal(await client.functions.rename.invoke("éééééé"), "éééééé");
      assert.equal(await functionError(client.functions.rename.invoke("éééééé!")), "BadRequest");
      assert.equal(await functionError(client.functions.rename.invoke("ab")), "BadRequest");
      // Wrong types, which TypeScript would refuse too.
      const untyped = client.functions.buyItem as unknown as { invoke(...args: unknown[]): Promise<unknown> };
      assert.equal(await functionError(untyped.invoke("7", 2)), "BadRequest");
      assert.equal(await functionError(untyped.invoke(1.5, 2)), "BadRequest");
      assert.equal(await functionError(untyped.invoke(-1, 2)), "BadRequest");
      assert.equal(await functionError(untyped.invoke(7)), "BadRequest");
      // The connection is fine.
      assert.equal((await client.functions.buyItem.invoke(1, 1)).coins_left, 99);
    });

    test("a deadline settles Timeout, and the server stops the handler", async () => {
      const own = await connect(net, url(), options());
      try {
        assert.equal(await functionError(own.functions.slow.with({ timeout: 50 }).invoke(60_000)), "Timeout");
        assert.equal(await own.functions.waitCancelled.invoke(1), 1);
      } finally {
        own.close();
      }
    });

    test("aborting a call settles Cancelled and cancels it on the server", async () => {
      const own = await connect(net, url(), options());
      try {
        const abort = new AbortController();
        const call = own.functions.slow.with({ signal: abort.signal }).invoke(60_000);
        // A round trip after the call proves the server has it.
        await own.functions.buyItem.invoke(1, 1);
        abort.abort();
        assert.equal(await functionError(call), "Cancelled");
        assert.equal(await own.functions.waitCancelled.invoke(1), 1);
      } finally {
        own.close();
      }
    });

    test("server-to-client calls: answered, timed out, unprocessed", async () => {
      const own = await connect(net, url(), options());
      try {
        assert.equal(await own.functions.ask.invoke("no callback yet", 5_000), "Unprocessed");
        own.functions.confirm.setCallback(async (prompt) => prompt === "yes?");
        assert.equal(await own.functions.ask.invoke("yes?", 5_000), "true");
        assert.equal(await own.functions.ask.invoke("no?", 5_000), "false");
        // The callback's signal tells it that nobody waits for its answer any more.
        const stopped = new Promise<unknown>((resolve) => {
          own.functions.confirm.setCallback((_prompt, { signal }) => {
            signal.addEventListener("abort", () => resolve(signal.reason));
            return new Promise<boolean>(() => {});
          });
        });
        assert.equal(await own.functions.ask.invoke("never answered", 100), "Timeout");
        const reason = await stopped;
        assert.ok(reason instanceof FunctionError && reason.kind === "Timeout", String(reason));
        own.functions.confirm.setCallback(() => {
          throw new Error("the page broke");
        });
        assert.equal(await own.functions.ask.invoke("throws", 5_000), "Unprocessed");
      } finally {
        own.close();
      }
    });

    test("events both ways; events before the first listener are held", async () => {
      const own = await connect(net, url(), options());
      try {
        await own.functions.push.invoke(3);
        const ticks: number[] = [];
        const heard = new Promise<void>((resolve) => {
          own.events.tick.connect((n) => {
            ticks.push(n);
            if (ticks.length === 5) resolve();
          });
        });
        await own.functions.push.invoke(2);
        await heard;
        assert.deepEqual(ticks, [1, 2, 3, 1, 2]);

        const said = new Promise<[number | bigint, string]>((resolve) => {
          own.events.said.connect((from, text) => resolve([from, text]));
        });
        own.events.chat.fire("hello from node");
        assert.deepEqual(await said, [own.player, "hello from node"]);
        assert.deepEqual(await own.functions.heard.invoke(1), ["hello from node"]);
      } finally {
        own.close();
      }
    });

    test("close() settles pending calls Disconnected", async () => {
      const own = await connect(net, url(), options());
      const call = own.functions.slow.invoke(60_000);
      own.close();
      assert.equal(await functionError(call), "Disconnected");
      assert.equal(await functionError(own.functions.buyItem.invoke(1, 1)), "Disconnected");
    });

    test("an older server is refused, naming what differs", async () => {
      const mismatch = scheme === "ws" ? peer.info.mismatch : peer.info.mismatchWss;
      const error = await rejection(connect(net, mismatch, options()));
      assert.ok(error instanceof ConnectError, String(error));
      assert.equal(error.kind, "InterfaceMismatch");
      for (const remote of ["buy_item", "slow", "echo"]) assert.match(error.message, new RegExp(remote));
      // Without the strict check, what both sides declare alike works and the rest settles precisely.
      const lenient = await connect(net, mismatch, { ...options(), strictInterface: false });
      try {
        assert.equal(await functionError(lenient.functions.buyItem.invoke(7, 2)), "BadRequest");
        assert.equal(await functionError(lenient.functions.slow.invoke(1)), "Unprocessed");
        assert.equal(await functionError(lenient.functions.dailyBonus.invoke()), "Unprocessed");
      } finally {
        lenient.close();
      }
    });
  });
}

test("the server going away settles calls Disconnected", async () => {
  const doomed = await startPeer();
  const client = await connect(net, doomed.info.ws, { WebSocket });
  const call = functionError(client.functions.slow.invoke(60_000));
  await client.functions.buyItem.invoke(1, 1);
  await doomed.kill();
  assert.equal(await call, "Disconnected");
  await client.closed;
});
