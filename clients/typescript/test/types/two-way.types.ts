// Compile-time tests of generated bindings with two-way remotes (test/fixtures/two-way.ts): a name declared in both
// directions is one handle whose type is the intersection of both, each method with its own direction's signature.
// tsc --strict must accept every line here and reject each line marked `@ts-expect-error`. Nothing here runs.
import type { Client } from "remotes-client";
import type { TwoWayRemotes } from "../fixtures/two-way.js";

export function checkTwoWay(client: Client<TwoWayRemotes>): void {
  const up: Promise<number> = client.functions.ping.invoke(41);
  const timed: Promise<number> = client.functions.ping.with({ timeout: 100 }).invoke(41);
  client.functions.ping.setCallback((label: string) => `saw ${label}`);
  client.functions.ping.setCallback(async (label) => label.toUpperCase());
  client.functions.ping.clearCallback();
  client.events.sync.fire(1n);
  const off: () => void = client.events.sync.connect(
    (tick: number | bigint, serverTime: number | bigint) => void [tick, serverTime],
  );
  client.events.shop.price.fire(3, 40);
  client.events.shop.price.connect((item: number, price: number, seller: string | null) => void [item, price, seller]);
  void [up, timed, off];

  // @ts-expect-error: the to-server ping takes a number, not the to-client ping's string
  void client.functions.ping.invoke("label");
  // @ts-expect-error: the to-server ping returns a number
  const wrong: Promise<string> = client.functions.ping.invoke(1);
  // @ts-expect-error: the to-client ping's callback returns a string
  client.functions.ping.setCallback(() => 1);
  // @ts-expect-error: the to-server sync has one argument
  client.events.sync.fire(1, 2);
  // @ts-expect-error: the to-client sync's listener gets a bigint-or-number, not a string
  client.events.sync.connect((tick: string) => void tick);
  // @ts-expect-error: a one-way to-client event still cannot be fired
  client.events.said.fire("x");
  void wrong;
}
