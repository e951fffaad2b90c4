// The lobby page: connects to the server it was served from, over the same port (`/remotes`), with the bindings
// `lobby::typescript()` generated (`lobby.ts`).
import { connect, FunctionError } from "remotes-client";
import { lobby, type Member } from "./lobby.js";

const byId = <T extends HTMLElement>(id: string): T =>
  document.getElementById(id) as T;
const status = byId<HTMLSpanElement>("status");
const log = byId<HTMLOListElement>("log");

function write(
  text: string,
  kind: "said" | "notice" | "error" | "mine" = "said",
): void {
  const line = document.createElement("li");
  line.className = kind;
  line.textContent = text;
  log.append(line);
  log.scrollTop = log.scrollHeight;
}

function showMembers(members: Member[]): void {
  byId("members").replaceChildren(
    ...members.map((member) => {
      const item = document.createElement("li");
      item.textContent = member.name;
      item.classList.toggle("bot", member.bot);
      return item;
    }),
  );
}

/** Runs a call, writing its `FunctionError` (if any) to the log. */
async function attempt(what: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    write(
      `${what} failed: ${error instanceof FunctionError ? error.kind : String(error)}`,
      "error",
    );
  }
}

const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/remotes`;
try {
  const client = await connect(lobby, url);
  status.textContent = `connected as player ${client.player}`;
  status.dataset.state = "open";
  void client.closed.then((reason) => {
    status.textContent = `disconnected: ${reason.message}`;
    status.dataset.state = "closed";
  });

  client.events.members.connect(showMembers);
  client.events.said.connect((from, text) => write(`${from}: ${text}`));
  client.events.notice.connect((text) => write(text, "notice"));

  // The server asks; the person answers with a button (the call waits for it, within the server's deadline).
  client.functions.vote.setCallback(
    (question, askedBy) =>
      new Promise<boolean>((resolve) => {
        const prompt = byId("prompt");
        byId("asked-by").textContent = askedBy;
        byId("question").textContent = question;
        prompt.hidden = false;
        const answer = (value: boolean) => () => {
          prompt.hidden = true;
          resolve(value);
        };
        byId("yes").onclick = answer(true);
        byId("no").onclick = answer(false);
      }),
  );

  byId<HTMLFormElement>("join").onsubmit = (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>("name").value.trim();
    void attempt("joining", async () => {
      showMembers(await client.functions.join.invoke(name));
      byId("join").hidden = true;
      byId("room").hidden = false;
      byId<HTMLInputElement>("text").focus();
    });
  };
  byId<HTMLFormElement>("say").onsubmit = (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("text");
    const text = input.value.trim();
    if (text !== "") client.events.say.fire(text);
    input.value = "";
  };
  byId("roll").onclick = () =>
    void attempt("rolling", async () =>
      write(`you rolled ${await client.functions.roll.invoke(6)}`, "mine"),
    );
  byId("vote").onclick = () =>
    void attempt("the vote", async () => {
      const tally = await client.functions.startVote.invoke(
        "Start the next round?",
      );
      write(
        `your vote: ${tally.yes} yes, ${tally.no} no, ${tally.silent} silent`,
        "mine",
      );
    });
} catch (error) {
  status.textContent = `could not connect: ${String(error)}`;
  status.dataset.state = "closed";
}
