import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { WebSocket } from "ws";

import {
  connect,
  defineInterface,
  SpecError,
  type InterfaceSpec,
  type RemoteSpec,
  type ServerFunction,
  type ClientEvent,
} from "remotes-client";
import { wireRemote } from "../src/handshake.js";
import { two_way } from "./fixtures/two-way.js";
import { bytes, hex } from "./helpers/bytes.js";
import { FakeServer, frameOf, Queue, welcome } from "./helpers/fake-server.js";

interface ShopRemotes {
  functions: { shop: { sell: ServerFunction<[item: number], null>; stock: { count: ServerFunction<[], number> } } };
  events: { shop: { sold: ClientEvent<[item: number]> } };
}

const shopSpec: InterfaceSpec = {
  name: "shop",
  types: {},
  remotes: [
    {
      name: "shop.sell",
      path: ["functions", "shop", "sell"],
      kind: "function",
      direction: "to_server",
      hash: "0000000000000001",
      args: [["item", "u32"]],
      output: "unit",
    },
    {
      name: "shop.stock.count",
      path: ["functions", "shop", "stock", "count"],
      kind: "function",
      direction: "to_server",
      hash: "0000000000000002",
      args: [],
      output: "u32",
    },
    {
      name: "shop.sold",
      path: ["events", "shop", "sold"],
      kind: "event",
      direction: "to_client",
      hash: "0000000000000003",
      args: [["item", "u32"]],
      output: "unit",
    },
  ],
};

describe("defineInterface", () => {
  test("accepts a well-formed spec and keeps it", () => {
    const iface = defineInterface<ShopRemotes>(shopSpec);
    assert.equal(iface.spec, shopSpec);
    assert.ok(Object.isFrozen(iface));
  });

  const refuses = (change: (spec: InterfaceSpec) => void, message: RegExp) => {
    const spec = structuredClone(shopSpec);
    change(spec);
    assert.throws(
      () => defineInterface(spec),
      (e: unknown) => e instanceof SpecError && message.test(e.message),
    );
  };

  test("refuses a broken spec", () => {
    refuses((s) => (s.remotes[0]!.hash = "ABC"), /16 lowercase hex digits/);
    refuses((s) => (s.remotes[0]!.args = [["item", "u33" as "u32"]]), /unknown scalar "u33"/);
    refuses((s) => (s.remotes[0]!.output = { ref: "Nope" }), /undeclared type "Nope"/);
    refuses((s) => (s.remotes[0]!.path = ["events", "shop", "sell"]), /path must be \["functions"/);
    refuses((s) => (s.remotes[1]!.path = ["functions", "shop", "sell"]), /declared twice/);
    refuses((s) => (s.remotes[1]!.path = ["functions", "shop", "sell", "count"]), /both a remote and a namespace/);
    refuses(
      (s) =>
        (s.types = {
          T: {
            enum: [
              ["A", "unit"],
              ["A", "unit"],
            ],
          },
        }),
      /unique name/,
    );
    refuses((s) => (s.types = { T: { struct: [["a", { array: ["u8", -1] }]] } }), /array is \[element, length\]/);
    refuses((s) => ((s.remotes[0]! as { kind: string }).kind = "method"), /bad kind/);
  });
});

describe("defineInterface: a name in both directions", () => {
  const refuses = (change: (spec: InterfaceSpec) => void, message: RegExp) => {
    const spec = structuredClone(two_way.spec);
    change(spec);
    assert.throws(
      () => defineInterface(spec),
      (e: unknown) => e instanceof SpecError && message.test(e.message),
      message.source,
    );
  };
  const find = (spec: InterfaceSpec, name: string, direction: RemoteSpec["direction"]) =>
    spec.remotes.find((r) => r.name === name && r.direction === direction)!;

  test("accepts a function and an event declared in both directions, as the generator writes them", () => {
    const spec = structuredClone(two_way.spec);
    assert.equal(spec.remotes.filter((r) => r.name === "sync").length, 2);
    assert.equal(spec.remotes.filter((r) => r.name === "ping").length, 2);
    assert.equal(defineInterface(spec).spec, spec);
  });

  test("still refuses a name declared twice in the same direction", () => {
    refuses(
      (s) => s.remotes.push({ ...find(s, "sync", "to_server"), hash: "0000000000000009" }),
      /remote sync: declared twice to the server/,
    );
    refuses(
      (s) => s.remotes.push({ ...find(s, "ping", "to_client"), args: [] }),
      /remote ping: declared twice to the client/,
    );
    refuses((s) => (find(s, "ping", "to_client").direction = "to_server"), /remote ping: declared twice to the server/);
    refuses(
      (s) => s.remotes.push(structuredClone(find(s, "buy_item", "to_server"))),
      /remote buy_item: declared twice to the server/,
    );
  });

  test("refuses a function and an event of one name, in either direction", () => {
    const event = (s: InterfaceSpec, direction: RemoteSpec["direction"]): RemoteSpec => ({
      ...find(s, "said", "to_client"),
      name: "buy_item",
      path: ["events", "buyItem"],
      direction,
    });
    refuses(
      (s) => s.remotes.push(event(s, "to_client")),
      /remote buy_item: declared both as a function and as an event/,
    );
    refuses(
      (s) => s.remotes.push(event(s, "to_server")),
      /remote buy_item: declared both as a function and as an event/,
    );
  });

  test("refuses both directions of one name at different paths", () => {
    refuses(
      (s) => (find(s, "sync", "to_client").path = ["events", "clock"]),
      /remote sync: declared in both directions with different paths \(events\.sync, events\.clock\)/,
    );
  });

  test("refuses two names at one path, even in different directions", () => {
    // As the Rust macro refuses two names that generate one struct (`said` and `Said`).
    refuses(
      (s) => (find(s, "said", "to_client").path = ["events", "sync"]),
      /remote said: declared twice: its path events\.sync is also that of sync/,
    );
    refuses(
      (s) => Object.assign(find(s, "chat", "to_server"), { name: "Said", path: ["events", "said"] }),
      /remote said: declared twice: its path events\.said is also that of Said/,
    );
  });
});

describe("handles", () => {
  test("namespaces become nested objects, from each remote's path", async () => {
    const server = await FakeServer.start();
    try {
      const connecting = connect(defineInterface<ShopRemotes>(shopSpec), server.url, { WebSocket });
      const peer = await server.nextPeer();
      await peer.next();
      peer.send(frameOf(welcome({ player: 2n ** 60n, remotes: shopSpec.remotes.map(wireRemote) })));
      const client = await connecting;
      assert.equal(client.player, 2n ** 60n);
      assert.ok(Object.isFrozen(client.functions.shop.stock));
      const count = client.functions.shop.stock.count.invoke();
      assert.equal(hex(await peer.next()), "10 01 90");
      peer.send(bytes("03 12 00 2a"));
      assert.equal(await count, 42);
      const sold = new Queue<number>();
      client.events.shop.sold.connect((item) => sold.push(item));
      peer.send(bytes("04 20 02 91 07"));
      assert.equal(await sold.next(), 7);
      const sell = client.functions.shop.sell.invoke(3);
      assert.equal(hex(await peer.next()), "10 00 91 03");
      client.close();
      await assert.rejects(sell, { kind: "Disconnected" });
    } finally {
      await server.close();
    }
  });
});
