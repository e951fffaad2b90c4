//! The frame decoder, message parser, handshake maps and argument decoders, on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    remotes_runtime::testing::decode_all(data, 64 << 10);
});
