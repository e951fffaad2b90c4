//! The property: whatever a raw server interleaves (valid replies in any order, replies of the wrong type, error
//! codes known and unknown, late replies to calls that already timed out, CANCEL frames well-formed or not, and at
//! most one frame that breaks the accounting), a real client making many concurrent calls never settles a call
//! `Ok` with another call's value, every call settles, each as the frames sent for it say, and after a bad frame
//! everything still pending settles `Disconnected`. Seeded, so a failure replays exactly.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use remotes_runtime::FunctionError;
use remotes_runtime::testing::{RawClient, RawMessage, encode, encode_args, kinds};
use tokio::sync::mpsc;

use super::{PATIENT, next_request, raw_server_and_client, reply_body};
use crate::common::{Rng, within};

/// Calls per seed.
const CALLS: usize = 32;
/// The deadline of the calls the raw server answers only after they timed out.
const LATE: Duration = Duration::from_millis(25);

/// What the error code of a REPLY_ERR stands for (PROTOCOL.md section 6; unknown codes are `Unprocessed`).
fn from_code(code: u8) -> FunctionError {
    match code {
        1 => FunctionError::Cancelled,
        2 => FunctionError::BadRequest,
        3 => FunctionError::InvalidResult,
        5 => FunctionError::Timeout,
        _ => FunctionError::Unprocessed,
    }
}

/// A frame that breaks the accounting: its kind and body, and whether a replier sending it believes it answered
/// the call at `slot` (and so takes that call off its list: every later slot it sends is off by one).
fn desync(rng: &mut Rng, slot: u32) -> (u8, Vec<u8>, bool) {
    match rng.below(6) {
        0 => (kinds::REPLY_ERR, reply_body(slot, &[]), true),
        1 => (kinds::REPLY_ERR, reply_body(slot, &[1, 1]), true),
        2 => (kinds::REPLY_OK, vec![0x80], true),
        3 => (kinds::REPLY_ERR, vec![0xff, 0xff], true),
        4 => (kinds::REPLY_OK, vec![0xff, 0xff, 0xff, 0xff, 0x7f, 0xc0], true),
        // A slot past every call the client can have outstanding.
        _ => (kinds::REPLY_OK, reply_body(CALLS as u32 + rng.below(100_000) as u32, &encode("stray")), false),
    }
}

/// What the raw server did, for the checks: the outcome each answered call must settle with.
#[derive(Default)]
struct Sent {
    expected: HashMap<usize, Result<String, FunctionError>>,
    desync: Option<(u8, Vec<u8>)>,
}

/// The raw server's side of one seed. `late` lists the calls it answers only once they timed out (the client
/// reports each through `timed_out`).
async fn play(
    raw: &mut RawClient,
    rng: &mut Rng,
    late: &HashSet<usize>,
    mut timed_out: mpsc::UnboundedReceiver<usize>,
    break_after: Option<u64>,
) -> Sent {
    let by_args: HashMap<Vec<u8>, usize> = (0..CALLS).map(|i| (encode_args(&(text(i),)), i)).collect();
    let mut sent = Sent::default();
    // The raw server's list of unanswered requests, in arrival order: a reply's slot is a position here.
    let mut unanswered: Vec<usize> = Vec::new();
    let mut expired: HashSet<usize> = HashSet::new();
    let (mut received, mut frames) = (0, 0u64);
    loop {
        if break_after.is_some_and(|after| frames >= after) {
            return break_accounting(raw, rng, sent, unanswered).await;
        }
        while let Ok(call) = timed_out.try_recv() {
            expired.insert(call);
        }
        let roll = rng.below(100);
        if received < CALLS && (unanswered.is_empty() || roll < 30) {
            let (_, args) = next_request(raw).await;
            unanswered.push(by_args[&args]);
            received += 1;
            continue;
        }
        frames += 1;
        if roll < 42 {
            // CANCEL names calls by number, of which the client handles none: ignored, well-formed or not.
            let body = if rng.chance(50) { reply_body(rng.next() as u32, &[]) } else { vec![0x80] };
            raw.send_frame(kinds::CANCEL, &body).await.unwrap();
            continue;
        }
        let answerable: Vec<usize> = (0..unanswered.len())
            .filter(|&p| !late.contains(&unanswered[p]) || expired.contains(&unanswered[p]))
            .collect();
        if answerable.is_empty() {
            if received < CALLS {
                continue;
            }
            if unanswered.is_empty() {
                // Everything is answered: a bad frame, if this seed has one, comes now.
                return match break_after {
                    Some(_) => break_accounting(raw, rng, sent, unanswered).await,
                    None => sent,
                };
            }
            // Only calls that have yet to time out are left: wait for the client to report one.
            let call = within("a late call times out", timed_out.recv()).await.expect("the client reports timeouts");
            expired.insert(call);
            continue;
        }
        let slot = answerable[rng.below(answerable.len() as u64) as usize];
        let call = unanswered.remove(slot);
        let slot = slot as u32;
        let outcome = match rng.below(10) {
            0..=4 => {
                raw.send_frame(kinds::REPLY_OK, &reply_body(slot, &encode(&text(call)))).await.unwrap();
                Ok(text(call))
            }
            5 | 6 => {
                let code = [0u8, 1, 2, 3, 4, 5, 7, 0x80, 0xff][rng.below(9) as usize];
                raw.send_frame(kinds::REPLY_ERR, &reply_body(slot, &[code])).await.unwrap();
                Err(from_code(code))
            }
            // Detectable faults of the value itself: another type, or trailing bytes.
            7 => {
                raw.send_frame(kinds::REPLY_OK, &reply_body(slot, &encode(&(call as u64)))).await.unwrap();
                Err(FunctionError::InvalidResult)
            }
            _ => {
                let mut value = encode(&text(call));
                value.push(0xc0);
                raw.send_frame(kinds::REPLY_OK, &reply_body(slot, &value)).await.unwrap();
                Err(FunctionError::InvalidResult)
            }
        };
        // A late reply is dropped: its call settled `Timeout` already.
        let outcome = if late.contains(&call) { Err(FunctionError::Timeout) } else { outcome };
        sent.expected.insert(call, outcome);
    }
}

/// Sends the frame that breaks the accounting, then goes on as a replier that believes its list is right: answers
/// every call it holds, oldest first, with that call's own value at the slot its list gives (nothing sent after the
/// bad frame is read, so late calls may be answered early here). Had the client dropped the bad frame and stayed
/// open, these replies would land on other calls. Send errors are ignored: the client is closing.
async fn break_accounting(raw: &mut RawClient, rng: &mut Rng, mut sent: Sent, mut unanswered: Vec<usize>) -> Sent {
    let (kind, body, answers) = desync(rng, 0);
    raw.send_frame(kind, &body).await.unwrap();
    if answers && !unanswered.is_empty() {
        unanswered.remove(0);
    }
    sent.desync = Some((kind, body));
    while !unanswered.is_empty() {
        let call = unanswered.remove(0);
        let _ = raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode(&text(call)))).await;
    }
    sent
}

fn text(call: usize) -> String {
    format!("call {call}")
}

async fn run_seed(seed: u64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xd1b5_4a32_d192_ed03));
    let (mut raw, client, remotes) = raw_server_and_client().await;
    let late: HashSet<usize> = (0..CALLS).filter(|_| rng.chance(20)).collect();
    // Odd seeds break the accounting after a random number of frames (possibly after everything was answered).
    let break_after = (seed % 2 == 1).then(|| rng.below(3 * CALLS as u64));
    let (report, timed_out) = mpsc::unbounded_channel();
    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let deadline = if late.contains(&i) { LATE } else { PATIENT };
            let call = remotes.functions.echo.invoke(text(i)).timeout(deadline);
            let report = report.clone();
            tokio::spawn(async move {
                let outcome = call.await;
                if outcome == Err(FunctionError::Timeout) {
                    let _ = report.send(i);
                }
                outcome
            })
        })
        .collect();
    let sent = within("the raw server's script", play(&mut raw, &mut rng, &late, timed_out, break_after)).await;

    for (i, call) in calls.into_iter().enumerate() {
        let outcome = within("a call settles", call).await.expect("call task");
        if let Ok(value) = &outcome {
            assert_eq!(value, &text(i), "seed {seed}: call {i} settled with another call's value");
        }
        let expected = match sent.expected.get(&i) {
            Some(expected) => expected.clone(),
            None if sent.desync.is_none() => panic!("seed {seed}: call {i} was never answered, yet no bad frame"),
            // Not answered before the bad frame: closing settles it, unless its own deadline came first.
            None if late.contains(&i) && outcome == Err(FunctionError::Timeout) => Err(FunctionError::Timeout),
            None => Err(FunctionError::Disconnected),
        };
        assert_eq!(
            outcome,
            expected,
            "seed {seed}: call {i} (late: {}), bad frame {:?}",
            late.contains(&i),
            sent.desync
        );
    }
    assert_eq!(client.pending_calls(), 0, "seed {seed}");
    if sent.desync.is_some() {
        within("the client closes", client.closed()).await;
        // Requests the raw server had not read yet may still be on their way; nothing else is.
        let rest = within("the raw end sees the close", raw.recv_until_closed()).await.unwrap();
        assert!(rest.iter().all(|m| matches!(m, RawMessage::Request { .. })), "seed {seed}: {rest:?}");
    } else {
        // The lists still agree after everything: the next call gets its own value.
        assert!(client.is_connected(), "seed {seed}");
        let probe = tokio::spawn(remotes.functions.echo.invoke("probe".into()).timeout(PATIENT));
        assert_eq!(next_request(&mut raw).await.1, encode_args(&("probe".to_string(),)));
        raw.send_frame(kinds::REPLY_OK, &reply_body(0, &encode("probe"))).await.unwrap();
        assert_eq!(within("probe", probe).await.unwrap(), Ok("probe".to_string()), "seed {seed}");
    }
}

#[tokio::test]
async fn replies_never_reach_the_wrong_call() {
    for seed in 0..16 {
        run_seed(seed).await;
    }
}
