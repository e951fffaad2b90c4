//! A lobby in the browser: a person chats with two Rust bots, sees who is here, rolls dice and answers the
//! server's votes (a call from the server to the page). The page is TypeScript, built from the `remotes-client`
//! package and the bindings `lobby::typescript()` generates.
//!
//! ```text
//! npm ci --prefix clients/typescript && npm run --prefix clients/typescript build:pages
//! cargo run --example web_lobby            # then open http://127.0.0.1:8080/
//! ```
//!
//! `--addr HOST:PORT` changes the address (port 0 picks a free one; the URL is printed either way). The page and
//! the remotes share one port: axum serves the files, and `server.axum_route()` serves the remotes on `/remotes`.

mod bots;
mod interface;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use interface::{Member, Tally, lobby as api};
use remotes_runtime::{Player, Server};

/// Who is here, in the order they joined, with their connections; bots are marked by id.
#[derive(Default)]
pub struct Room {
    members: Vec<(Member, Player)>,
    bots: Vec<u64>,
}

impl Room {
    fn list(&self) -> Vec<Member> {
        self.members.iter().map(|(member, _)| member.clone()).collect()
    }

    fn is_bot_named(&self, name: &str) -> bool {
        self.members.iter().any(|(member, _)| member.bot && member.name == name)
    }
}

pub type Shared = Arc<Mutex<Room>>;

fn name_of(room: &Shared, player: &Player) -> String {
    let room = room.lock().unwrap();
    let found = room.members.iter().find(|(member, _)| member.id == player.id());
    found.map(|(member, _)| member.name.clone()).unwrap_or_else(|| "someone".into())
}

/// The page's files, read from `examples/web_lobby/page/` at each request (the bundle from `page/dist/`).
async fn file(path: &'static str, kind: &'static str) -> impl IntoResponse {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/web_lobby/page").join(path);
    match tokio::fs::read(&full).await {
        Ok(bytes) => (StatusCode::OK, [(header::CONTENT_TYPE, kind)], bytes),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "{} is missing: build the page first with\n\n  npm ci --prefix clients/typescript && npm run \
                 --prefix clients/typescript build:pages\n",
                full.display()
            )
            .into_bytes(),
        ),
    }
}

fn serve_lobby(server: &Server<api::Api>, room: &Shared) {
    let remotes = server.remotes().clone();
    let (here, tell) = (room.clone(), remotes.clone());
    remotes.functions.join.set_callback(move |player: Player, name: String| {
        let members = {
            let mut room = here.lock().unwrap();
            let bot = room.bots.contains(&player.id());
            room.members.retain(|(member, _)| member.id != player.id());
            room.members.push((Member { id: player.id(), name: name.clone(), bot }, player.clone()));
            room.list()
        };
        tell.events.members.broadcast(members.clone());
        tell.events.notice.broadcast(format!("{name} joined"));
        async move { members }
    });
    let (here, tell) = (room.clone(), remotes.clone());
    remotes.functions.roll.set_callback(move |player: Player, sides| {
        let rolled = (bots::random() % u64::from(sides)) as u8 + 1;
        tell.events.notice.broadcast(format!("{} rolled {rolled} (d{sides})", name_of(&here, &player)));
        async move { rolled }
    });
    let (here, ask) = (room.clone(), remotes.clone());
    remotes.functions.start_vote.set_callback(move |player: Player, question: String| {
        let (here, ask) = (here.clone(), ask.clone());
        async move {
            let asked_by = name_of(&here, &player);
            let players: Vec<Player> = here.lock().unwrap().members.iter().map(|(_, p)| p.clone()).collect();
            let mut calls = tokio::task::JoinSet::new();
            for member in players {
                let call = ask.functions.vote.invoke(&member, question.clone(), asked_by.clone());
                calls.spawn(call.timeout(Duration::from_secs(20)));
            }
            let mut tally = Tally::default();
            while let Some(answer) = calls.join_next().await {
                match answer {
                    Ok(Ok(true)) => tally.yes += 1,
                    Ok(Ok(false)) => tally.no += 1,
                    _ => tally.silent += 1,
                }
            }
            let result = format!("vote \"{question}\": {} yes, {} no, {} silent", tally.yes, tally.no, tally.silent);
            ask.events.notice.broadcast(result);
            tally
        }
    });
    let (here, relay) = (room.clone(), remotes.clone());
    remotes.events.say.connect(move |player: Player, text: String| {
        relay.events.said.broadcast(name_of(&here, &player), text);
        async {}
    });
    let (here, tell) = (room.clone(), remotes.clone());
    server.on_player_removing(move |player| {
        let (name, members) = {
            let mut room = here.lock().unwrap();
            let found = room.members.iter().find(|(member, _)| member.id == player.id());
            let name = found.map(|(member, _)| member.name.clone());
            room.members.retain(|(member, _)| member.id != player.id());
            (name, room.list())
        };
        if let Some(name) = name {
            tell.events.members.broadcast(members);
            tell.events.notice.broadcast(format!("{name} left"));
        }
    });
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let mut args = std::env::args().skip(1);
    let addr = match (args.next().as_deref(), args.next()) {
        (None, _) => "127.0.0.1:8080".to_string(),
        (Some("--addr"), Some(addr)) => addr,
        _ => {
            eprintln!("usage: web_lobby [--addr HOST:PORT]");
            std::process::exit(2);
        }
    };

    let server = Server::builder().in_memory::<api::Api>();
    let room = Shared::default();
    serve_lobby(&server, &room);
    let app = Router::new()
        .route("/", get(|| file("index.html", "text/html; charset=utf-8")))
        .route("/style.css", get(|| file("style.css", "text/css; charset=utf-8")))
        .route("/app.js", get(|| file("dist/app.js", "text/javascript; charset=utf-8")))
        .route("/remotes", server.axum_route());
    server.start();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("the lobby stopped serving: {error}");
        }
    });
    let url = format!("ws://{local}/remotes");
    let _bots = [bots::spawn("Ada", &url, room.clone()).await?, bots::spawn("Byte", &url, room.clone()).await?];
    println!("lobby open at http://{local}/");
    std::future::pending::<()>().await;
    Ok(())
}
