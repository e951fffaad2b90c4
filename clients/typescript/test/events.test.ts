import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FunctionError } from "remotes-client";
import { bytes, hex } from "./helpers/bytes.js";
import { Queue, session, welcome, WORKED_TABLE, type Peer } from "./helpers/fake-server.js";

/** Waits until the client has handled every frame sent before: it answers a PING in order. */
async function roundTrip(peer: Peer): Promise<void> {
  peer.send(bytes("01 30"));
  for (;;) if (hex(await peer.next()) === "31") return;
}

const announce = (text: string) => {
  const utf8 = new TextEncoder().encode(text);
  return Uint8Array.of(utf8.length + 4, 0x20, 6, 0x91, 0xa0 | utf8.length, ...utf8);
};

describe("events from the server", () => {
  test("listeners hear events in order: said(from, text) of the worked example", async () => {
    await session(async ({ client, peer }) => {
      const heard = new Queue<[number | bigint, string]>();
      client.events.said.connect((from, text) => heard.push([from, text]));
      peer.send(bytes("07 20 05 92 01 a2 68 69"), bytes("0e 20 05 92 cf 00 20 00 00 00 00 00 00 a1 78"));
      assert.deepEqual(await heard.next(), [1, "hi"]);
      assert.deepEqual(await heard.next(), [2n ** 53n, "x"]);
    });
  });

  test("events are held until the first listener connects, then delivered in order", async () => {
    await session(async ({ client, peer }) => {
      peer.send(announce("one"), announce("two"));
      peer.send(bytes("0b 20 06 91 a7 77 65 6c 63 6f 6d 65")); // the worked example's broadcast
      await roundTrip(peer);
      const heard: string[] = [];
      client.events.announce.connect((text) => void heard.push(text));
      assert.deepEqual(heard, [], "delivered in a microtask, not inside connect");
      await Promise.resolve();
      assert.deepEqual(heard, ["one", "two", "welcome"]);
      peer.send(announce("three"));
      await roundTrip(peer);
      assert.deepEqual(heard, ["one", "two", "welcome", "three"]);
    });
  });

  test("at most eventQueueLen are held per event; the oldest are dropped", async () => {
    await session(
      async ({ client, peer }) => {
        for (const text of ["a", "b", "c", "d", "e"]) peer.send(announce(text));
        peer.send(bytes("07 20 05 92 01 a2 68 69"));
        await roundTrip(peer);
        const heard: string[] = [];
        client.events.announce.connect((text) => void heard.push(text));
        const said: string[] = [];
        client.events.said.connect((_, text) => void said.push(text));
        await Promise.resolve();
        assert.deepEqual(heard, ["c", "d", "e"]);
        assert.deepEqual(said, ["hi"], "each event has its own queue");
      },
      { eventQueueLen: 3 },
    );
  });

  test("held payloads are validated first: one that does not decode is dropped at once", async () => {
    await session(
      async ({ client, peer, warnings }) => {
        peer.send(bytes("04 20 06 91 05"), announce("ok"), bytes('07 20 06 92 a1 "a" a1 "b"'));
        await roundTrip(peer);
        assert.match(
          await warnings.next(),
          /announce with arguments that do not match: text: expected a string, got 5/,
        );
        assert.match(await warnings.next(), /announce with arguments that do not match/);
        const heard: string[] = [];
        client.events.announce.connect((text) => void heard.push(text));
        await Promise.resolve();
        assert.deepEqual(heard, ["ok"]);
      },
      { eventQueueLen: 1 },
    );
  });

  test("events pipelined with WELCOME are held for a listener connected right after connect", async () => {
    await session(
      async ({ client, peer }) => {
        const heard = new Queue<string>();
        client.events.announce.connect((text) => heard.push(text));
        assert.equal(await heard.next(), "early");
        void peer;
      },
      { extra: announce("early") },
    );
  });

  test("disconnecting a listener; a throwing listener is a warning and does not stop the others", async () => {
    await session(async ({ client, peer, warnings }) => {
      const first: string[] = [];
      const off = client.events.announce.connect((text) => {
        first.push(text);
        throw new Error("listener bug");
      });
      const second = new Queue<string>();
      client.events.announce.connect((text) => second.push(text));
      client.events.announce.connect(async () => Promise.reject(new Error("async listener bug")));
      peer.send(announce("a"));
      assert.equal(await second.next(), "a");
      assert.match(await warnings.next(), /threw: listener bug/);
      assert.match(await warnings.next(), /rejected: async listener bug/);
      off();
      off();
      peer.send(announce("b"));
      assert.equal(await second.next(), "b");
      assert.deepEqual(first, ["a"]);
    });
  });

  test("events the bindings do not have for this direction are dropped", async () => {
    await session(async ({ client, peer, warnings }) => {
      const heard = new Queue<string>();
      client.events.announce.connect((text) => heard.push(text));
      peer.send(bytes('05 20 04 91 a1 "x"')); // chat goes to the server
      peer.send(bytes('05 20 03 91 a1 "x"')); // confirm is a function
      peer.send(bytes('05 20 40 91 a1 "x"')); // no such id
      peer.send(announce("after"));
      assert.equal(await heard.next(), "after");
      for (let i = 0; i < 3; i++) assert.match(await warnings.next(), /no event of these bindings/);
    });
  });
});

describe("events to the server", () => {
  test('fire: the worked example\'s chat("hi")', async () => {
    await session(async ({ client, peer }) => {
      client.events.chat.fire("hi");
      assert.equal(hex(await peer.next()), "20 04 91 a2 68 69");
    });
  });

  test("arguments that do not match throw FunctionError BadRequest; nothing is sent", async () => {
    await session(async ({ client, peer }) => {
      assert.throws(
        () => client.events.chat.fire(5 as unknown as string),
        (e: unknown) => e instanceof FunctionError && e.kind === "BadRequest" && e.remote === "chat",
      );
      assert.throws(() => client.events.chat.fire("\ud800"), FunctionError);
      client.events.chat.fire("ok");
      assert.equal(hex(await peer.next()), "20 04 91 a2 6f 6b");
    });
  });

  test("an event the server declares differently, or too large for its max_frame, is not sent", async () => {
    const remotes = WORKED_TABLE.map(([n, k, d, h]): [string, number, number, bigint] => [
      n,
      k,
      d,
      n === "chat" ? 7n : h,
    ]);
    await session(
      async ({ client, peer, warnings }) => {
        client.events.chat.fire("x");
        client.events.chat.fire("x");
        assert.match(await warnings.next(), /interface differs/);
        assert.match(await warnings.next(), /event chat is not sent: the server's signature hash is 0000000000000007/);
        void client.functions.slow.invoke(1).catch(() => {});
        assert.equal(hex(await peer.next()), "10 01 91 01", "the next frame is the call");
        assert.equal(warnings.length, 0, "warned once");
      },
      { strictInterface: false, welcomeBody: welcome({ remotes }) },
    );
    await session(
      async ({ client, peer, warnings }) => {
        client.events.chat.fire("x".repeat(100));
        assert.match(await warnings.next(), /exceeds the server's maximum of 20/);
        client.events.chat.fire("short");
        assert.equal((await peer.next())[0], 0x20);
      },
      { welcomeBody: welcome({ maxFrame: 20 }) },
    );
  });

  test("firing on a closed connection is a warning", async () => {
    await session(async ({ client, warnings }) => {
      client.close();
      client.events.chat.fire("late");
      assert.match(await warnings.next(), /not sent: the connection is closed/);
    });
  });
});
