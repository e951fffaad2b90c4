//! Arbitrary bytes as the arguments (and the return value) of recursive types: enum variants, newtypes, options,
//! struct fields, sequences, maps and serde's buffered enums. Decoding must refuse deep input without overflowing the
//! stack, whatever the shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    remotes_runtime::testing::decode_recursive(data);
});
