//! The lobby's two bots: real clients of the lobby, over the same WebSocket route as the page. Ada answers every
//! line a person says; Byte says it backwards. In a vote Ada says yes and Byte no.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use remotes_runtime::Client;

use crate::Shared;
use crate::interface::lobby as api;

/// A small xorshift generator for dice and delays, seeded from the clock: an example needs no `rand`.
pub fn random() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    x
}

/// Connects the bot `name` to the lobby at `url`; it stays as long as the returned client is kept.
pub async fn spawn(
    name: &'static str,
    url: &str,
    room: Shared,
) -> Result<Client<api::Api>, Box<dyn std::error::Error>> {
    let client = Client::builder().connect_websocket::<api::Api>(url).await?;
    room.lock().unwrap().bots.push(client.player_id());
    let remotes = client.remotes().clone();
    let (reply, known) = (remotes.clone(), room.clone());
    remotes.events.said.connect(move |from: String, text: String| {
        let answer = (from != name && !known.lock().unwrap().is_bot_named(&from)).then(|| match name {
            "Ada" => format!("nice to meet you, {from}! you said: {text}"),
            _ => text.chars().rev().collect::<String>(),
        });
        let reply = reply.clone();
        async move {
            if let Some(answer) = answer {
                tokio::time::sleep(Duration::from_millis(150 + random() % 250)).await;
                reply.events.say.fire(answer);
            }
        }
    });
    remotes.functions.vote.set_callback(move |_question: String, _asked_by: String| async move {
        tokio::time::sleep(Duration::from_millis(100 + random() % 200)).await;
        name == "Ada"
    });
    remotes.functions.join.invoke(name.to_string()).await?;
    Ok(client)
}
