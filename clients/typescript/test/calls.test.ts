import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FunctionError } from "remotes-client";
import { bytes, hex } from "./helpers/bytes.js";
import { session, welcome } from "./helpers/fake-server.js";

function rejectsWith(promise: Promise<unknown>, kind: string, remote?: string) {
  return assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof FunctionError, `expected a FunctionError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (remote) assert.equal(e.remote, remote);
    return true;
  });
}

describe("calls to the server", () => {
  test("the worked example: buy_item(7, 2) and its Receipt", async () => {
    await session(async ({ client, peer }) => {
      const receipt = client.functions.buyItem.invoke(7, 2);
      assert.equal(hex(await peer.next()), "10 00 92 07 02");
      peer.send(bytes("06 12 00 93 07 02 5a"));
      assert.deepEqual(await receipt, { item: 7, quantity: 2, coins_left: 90 });
    });
  });

  test("the worked example's session: Unprocessed, REQUEST_TIMED, a late Timeout reply, CANCEL", async () => {
    await session(async ({ client, peer }) => {
      const bonus = client.functions.dailyBonus.invoke();
      assert.equal(hex(await peer.next()), "10 02 90");
      peer.send(bytes("03 13 00 04"));
      await rejectsWith(bonus, "Unprocessed", "daily_bonus");

      const slow = client.functions.slow.with({ timeout: 25 }).invoke(1000);
      assert.equal(hex(await peer.next()), "11 01 19 91 cd 03 e8");
      await rejectsWith(slow, "Timeout", "slow");
      // The server's own Timeout reply arrives later: dropped, but it takes call 1 off the list.
      peer.send(bytes("03 13 00 05"));

      const controller = new AbortController();
      const cancelled = client.functions.slow.with({ signal: controller.signal }).invoke(2000);
      assert.equal(hex(await peer.next()), "10 01 91 cd 07 d0");
      controller.abort();
      await rejectsWith(cancelled, "Cancelled", "slow");
      assert.equal(hex(await peer.next()), "14 02", "CANCEL call 2");
      peer.send(bytes("03 13 00 01"));

      // Both late replies took their slot: call 3 is the only one unanswered.
      const receipt = client.functions.buyItem.invoke(1, 1);
      assert.equal(hex(await peer.next()), "10 00 92 01 01");
      peer.send(bytes("06 12 00 93 01 01 00"));
      assert.deepEqual(await receipt, { item: 1, quantity: 1, coins_left: 0 });
    });
  });

  test("REQUEST_TIMED with the worked example's 250 ms", async () => {
    await session(async ({ client, peer }) => {
      void client.functions.slow
        .with({ timeout: 250 })
        .invoke(1000)
        .catch(() => {});
      assert.equal(hex(await peer.next()), "11 01 fa 01 91 cd 03 e8");
      void client.functions.slow
        .with({ timeout: 10_000 })
        .invoke(1)
        .catch(() => {});
      assert.equal(hex(await peer.next()), "10 01 91 01", "the default timeout goes as a REQUEST");
    });
  });

  test("the connect timeout is every call's default, announced in HELLO", async () => {
    await session(
      async ({ client, peer }) => {
        const call = client.functions.slow.invoke(1);
        assert.equal(hex(await peer.next()), "10 01 91 01");
        await rejectsWith(call, "Timeout");
      },
      { timeout: 30 },
    );
  });

  test("a default timeout of 0 ms is never announced as REQUEST (0 means 'not given')", async () => {
    await session(
      async ({ client, peer }) => {
        void client.functions.slow.invoke(1).catch(() => {});
        assert.equal(hex(await peer.next()), "11 01 00 91 01");
      },
      { timeout: 0 },
    );
  });

  test("replies by slot, in any order", async () => {
    await session(async ({ client, peer }) => {
      const a = client.functions.buyItem.invoke(1, 1);
      const b = client.functions.buyItem.invoke(2, 2);
      const c = client.functions.buyItem.invoke(3, 3);
      for (let i = 0; i < 3; i++) await peer.next();
      assert.deepEqual(peer.messageSizes, [1, 3], "HELLO alone, then the three requests of one turn in one message");
      peer.send(bytes("06 12 01 93 02 02 14"), bytes("06 12 01 93 03 03 1e")); // b (slot 1), then c (now slot 1)
      assert.deepEqual(await b, { item: 2, quantity: 2, coins_left: 20 });
      assert.deepEqual(await c, { item: 3, quantity: 3, coins_left: 30 });
      peer.send(bytes("03 13 00 02"));
      await rejectsWith(a, "BadRequest", "buy_item");
    });
  });

  test("REPLY_ERR codes, an unknown code settling Unprocessed", async () => {
    await session(async ({ client, peer }) => {
      const kinds = [
        "Unprocessed",
        "Cancelled",
        "BadRequest",
        "InvalidResult",
        "Unprocessed",
        "Timeout",
        "Disconnected",
        "Unprocessed",
      ];
      const calls = kinds.map(() => client.functions.buyItem.invoke(1, 1));
      for (let i = 0; i < kinds.length; i++) await peer.next();
      for (let code = 0; code < kinds.length; code++) peer.send(Uint8Array.of(3, 0x13, 0, code === 7 ? 0x99 : code));
      for (let i = 0; i < kinds.length; i++) await rejectsWith(calls[i]!, kinds[i]!);
    });
  });

  test("a reply whose value does not decode as the output settles InvalidResult; the connection stays", async () => {
    await session(async ({ client, peer, warnings }) => {
      const bad = client.functions.buyItem.invoke(1, 1);
      const trailing = client.functions.buyItem.invoke(1, 1);
      const good = client.functions.dailyBonus.invoke();
      for (let i = 0; i < 3; i++) await peer.next();
      peer.send(
        bytes("05 12 00 92 01 01"),
        bytes("07 12 00 93 01 01 00 c0"),
        bytes("0b 12 00 cf 00 20 00 00 00 00 00 00"),
      );
      await rejectsWith(bad, "InvalidResult");
      await rejectsWith(trailing, "InvalidResult");
      assert.equal(await good, 2n ** 53n);
      assert.match(await warnings.next(), /does not match its declared output/);
    });
  });

  test("arguments that do not match, or break a check, reject BadRequest before anything is sent", async () => {
    await session(async ({ client, peer }) => {
      await rejectsWith(client.functions.buyItem.invoke(7, 0), "BadRequest");
      await rejectsWith(client.functions.buyItem.invoke(7, 100), "BadRequest");
      await rejectsWith(client.functions.buyItem.invoke(-1, 2), "BadRequest");
      await rejectsWith(
        (client.functions.buyItem.invoke as (...a: unknown[]) => Promise<unknown>)(7, 2, 3),
        "BadRequest",
      );
      await rejectsWith(client.functions.slow.invoke(-1), "BadRequest");
      await rejectsWith(client.functions.slow.with({ timeout: -5 }).invoke(1), "BadRequest");
      const error = (await client.functions.buyItem.invoke(7, 100).catch((e: unknown) => e)) as FunctionError;
      assert.match(error.message, /buy_item: BadRequest \(quantity: 100 is out of the range 1..=99\)/);
      // No number was consumed: the next request is call 0 (its CANCEL says so).
      const controller = new AbortController();
      const call = client.functions.slow.with({ signal: controller.signal }).invoke(1);
      assert.equal(hex(await peer.next()), "10 01 91 01");
      controller.abort();
      await rejectsWith(call, "Cancelled");
      assert.equal(hex(await peer.next()), "14 00");
    });
  });

  test("a request frame larger than the server's max_frame rejects BadRequest, unsent", async () => {
    await session(
      async ({ client, peer }) => {
        await rejectsWith(client.functions.slow.invoke(2n ** 63n), "BadRequest");
        const ok = client.functions.slow.invoke(1);
        assert.equal(hex(await peer.next()), "10 01 91 01", "5 bytes fit");
        peer.send(bytes("03 12 00 c0"));
        assert.equal(await ok, null);
      },
      { welcomeBody: welcome({ maxFrame: 5 }) },
    );
  });

  test("an already-aborted signal settles Cancelled and sends nothing", async () => {
    await session(async ({ client, peer }) => {
      const controller = new AbortController();
      controller.abort();
      await rejectsWith(client.functions.slow.with({ signal: controller.signal }).invoke(1), "Cancelled");
      client.events.chat.fire("after");
      assert.equal(hex(await peer.next()), "20 04 91 a5 61 66 74 65 72", "the event is the next frame");
    });
  });

  test("aborting after the reply changes nothing", async () => {
    await session(async ({ client, peer }) => {
      const controller = new AbortController();
      const call = client.functions.slow.with({ signal: controller.signal }).invoke(1);
      await peer.next();
      peer.send(bytes("03 12 00 c0"));
      assert.equal(await call, null);
      controller.abort();
      client.events.chat.fire("x");
      assert.equal(hex(await peer.next()), "20 04 91 a1 78", "no CANCEL");
    });
  });

  test("close() settles every pending call Disconnected; calls after it too", async () => {
    await session(async ({ client, peer }) => {
      const a = client.functions.slow.invoke(1);
      const b = client.functions.buyItem.invoke(1, 1);
      await peer.next();
      client.close();
      await rejectsWith(a, "Disconnected");
      await rejectsWith(b, "Disconnected");
      await rejectsWith(client.functions.slow.invoke(1), "Disconnected");
      assert.deepEqual(await client.closed, { kind: "Closed", message: "closed by the client" });
      await peer.closed;
    });
  });

  test("the server closing settles every pending call Disconnected", async () => {
    await session(async ({ client, peer }) => {
      const a = client.functions.slow.invoke(1);
      await peer.next();
      peer.socket.close();
      await rejectsWith(a, "Disconnected");
      assert.equal((await client.closed).kind, "Disconnected");
    });
  });

  test("frames queued with close() still go out", async () => {
    await session(async ({ client, peer }) => {
      client.events.chat.fire("bye");
      client.close();
      assert.equal(hex(await peer.next()), "20 04 91 a3 62 79 65");
      await peer.closed;
    });
  });

  test("frames of one turn are packed into messages of at most 64 KiB", async () => {
    await session(async ({ client, peer }) => {
      const text = "x".repeat(30_000);
      for (let i = 0; i < 5; i++) client.events.chat.fire(text);
      client.events.chat.fire("y".repeat(70_000));
      client.events.chat.fire("z");
      for (let i = 0; i < 7; i++) assert.equal((await peer.next())[0], 0x20);
      // HELLO; two of 30 KB; two; one (then the 70 KB frame alone); "z".
      assert.deepEqual(peer.messageSizes, [1, 2, 2, 1, 1, 1]);
    });
  });
});
