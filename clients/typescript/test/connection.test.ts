import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FunctionError } from "remotes-client";
import { buildFrame, Kind } from "../src/frame.js";
import { bytes, hex } from "./helpers/bytes.js";
import { session, type Peer } from "./helpers/fake-server.js";

async function roundTrip(peer: Peer): Promise<void> {
  peer.send(bytes("01 30"));
  for (;;) if (hex(await peer.next()) === "31") return;
}

async function disconnected(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (e: unknown) => e instanceof FunctionError && e.kind === "Disconnected");
}

describe("keepalive", () => {
  test("PING is answered with PONG", async () => {
    await session(async ({ peer }) => {
      peer.send(bytes("01 30"));
      assert.equal(hex(await peer.next()), "31");
    });
  });

  test("the client sends PING every pingInterval", async () => {
    await session(
      async ({ peer }) => {
        assert.equal(hex(await peer.next()), "30");
        assert.equal(hex(await peer.next()), "30");
      },
      { pingInterval: 10 },
    );
  });

  test("no complete frame for idleTimeout closes the connection; pending calls settle Disconnected", async () => {
    await session(
      async ({ client, peer }) => {
        const call = client.functions.slow.invoke(1);
        await peer.next();
        await disconnected(call);
        assert.deepEqual(await client.closed, { kind: "Idle", message: "no frame from the server for 60 ms" });
        await peer.closed;
      },
      { idleTimeout: 60 },
    );
  });

  test("bytes that never complete a frame do not keep it alive", async () => {
    await session(
      async ({ client, peer }) => {
        peer.send(bytes("05 10"));
        peer.send(bytes("00"));
        assert.equal((await client.closed).kind, "Idle");
      },
      { idleTimeout: 60 },
    );
  });

  test("a server that answers PINGs keeps the connection open", async () => {
    await session(
      async ({ client, peer }) => {
        // The client pings every 20 ms and closes after 1 s of silence: 30 answered pings take about 600 ms.
        for (let i = 0; i < 30; i++) {
          assert.equal(hex(await peer.next()), "30");
          peer.send(bytes("01 31"));
        }
        const call = client.functions.slow.invoke(1);
        assert.equal(hex(await peer.next()), "10 01 91 01");
        peer.send(bytes("03 12 00 c0"));
        assert.equal(await call, null, "still open");
      },
      { pingInterval: 20, idleTimeout: 1000 },
    );
  });
});

describe("what a hostile server sends (PROTOCOL.md section 9)", () => {
  const closes = (name: string, frames: string[], reason: RegExp) =>
    test(`${name} closes the connection; pending calls settle Disconnected`, async () => {
      await session(async ({ client, peer, warnings }) => {
        const call = client.functions.slow.invoke(1);
        await peer.next();
        for (const frame of frames) peer.send(bytes(frame));
        await disconnected(call);
        const closed = await client.closed;
        assert.equal(closed.kind, "Protocol");
        assert.match(closed.message, reason);
        assert.match(await warnings.next(), /closing the connection/);
        await peer.closed;
      });
    });
  closes("a reply whose slot names no outstanding call", ["03 12 01 c0"], /slot 1, but only 1/);
  closes("a REPLY_ERR with two bytes after its slot", ["04 13 00 01 02"], /2 bytes after its slot/);
  closes("a REPLY_ERR without a code", ["02 13 00"], /0 bytes after its slot/);
  closes("a REPLY_OK whose slot is cut short", ["02 12 80"], /malformed slot/);
  closes("a REPLY_OK whose slot is past u32", ["07 12 ff ff ff ff 7f c0"], /malformed slot/);
  closes("a frame longer than maxFrame", ["ff ff 7f"], /exceeds the maximum of 1048576/);
  closes("an empty frame", ["00"], /empty frame/);
  closes("a malformed length prefix", ["80 80 80 80 80 00"], /malformed frame length/);

  test("a text message closes the connection", async () => {
    await session(async ({ client, peer }) => {
      peer.socket.send("text");
      const closed = await client.closed;
      assert.deepEqual(closed, { kind: "Protocol", message: "the server sent a text message" });
    });
  });

  test("a second reply to the only call closes the connection", async () => {
    await session(async ({ client, peer }) => {
      const call = client.functions.slow.invoke(1);
      await peer.next();
      peer.send(bytes("03 12 00 c0"), bytes("03 12 00 c0"));
      assert.equal(await call, null);
      assert.deepEqual(await client.closed, {
        kind: "Protocol",
        message: "a reply names slot 0, but only 0 of this client's calls are unanswered",
      });
    });
  });

  test("a reply before any request closes the connection", async () => {
    await session(async ({ client, peer }) => {
      peer.send(bytes("03 13 00 04"));
      assert.equal((await client.closed).kind, "Protocol");
    });
  });

  test("unknown kinds, late handshake frames and malformed CANCEL, EVENT, PING are dropped; the connection stays", async () => {
    await session(async ({ client, peer, warnings }) => {
      peer.send(bytes("01 7e"), bytes("03 7f 01 02"), bytes("02 02 80"), bytes("02 01 80"), bytes("02 03 80"));
      peer.send(bytes("01 14"), bytes("02 20 80"), bytes("02 30 00"), bytes("02 31 00"));
      const call = client.functions.slow.invoke(1);
      assert.equal(hex(await peer.next()), "10 01 91 01");
      peer.send(bytes("03 12 00 c0"));
      assert.equal(await call, null);
      const seen: string[] = [];
      for (let i = 0; i < 9; i++) seen.push(await warnings.next());
      assert.match(seen[0]!, /unknown message kind 0x7e/);
      assert.match(seen[2]!, /WELCOME after the handshake/);
      assert.match(seen[5]!, /CANCEL with a missing/);
    });
  });

  test("a reply split across messages is read whole", async () => {
    await session(async ({ client, peer }) => {
      const call = client.functions.buyItem.invoke(7, 2);
      await peer.next();
      peer.send(bytes("06 12"));
      peer.send(bytes("00 93 07"));
      peer.send(bytes("02 5a"));
      assert.deepEqual(await call, { item: 7, quantity: 2, coins_left: 90 });
    });
  });

  test("a flood of bad frames is warned about at a bounded rate", async () => {
    await session(async ({ peer, warnings }) => {
      const flood = new Uint8Array(2 * 500).fill(0x7e);
      for (let i = 0; i < flood.length; i += 2) flood[i] = 0x01;
      peer.send(flood);
      await roundTrip(peer);
      assert.ok(warnings.length <= 21, `${warnings.length} warnings`);
      assert.ok(warnings.length >= 20);
    });
  });

  test("a garbage reply value settles InvalidResult and the next call still works", async () => {
    await session(async ({ client, peer }) => {
      const bad = client.functions.buyItem.invoke(1, 1);
      await peer.next();
      peer.send(bytes("04 12 00 c1 c1")); // c1 is never used
      await assert.rejects(bad, (e: unknown) => e instanceof FunctionError && e.kind === "InvalidResult");
      const good = client.functions.slow.invoke(1);
      await peer.next();
      peer.send(bytes("03 12 00 c0"));
      assert.equal(await good, null);
    });
  });

  test("deeply nested garbage does not throw out of the WebSocket callback", async () => {
    await session(async ({ client, peer }) => {
      const call = client.functions.buyItem.invoke(1, 1);
      await peer.next();
      const depth = 200_000;
      const value = new Uint8Array(depth + 1).fill(0x91);
      value[depth] = 0xc0;
      peer.send(buildFrame(Kind.REPLY_OK, [0], value));
      await assert.rejects(call, (e: unknown) => e instanceof FunctionError && e.kind === "InvalidResult");
      await roundTrip(peer);
    });
  });
});
