//! Compile tests of the `#[remotes]` macro: what it accepts (`tests/ui/pass`) and the errors it reports for
//! each misuse (`tests/ui/fail`, with the expected compiler output next to each case).
//!
//! After a deliberate change to a message, regenerate the expectations with `TRYBUILD=overwrite cargo test
//! --test macro_ui` and read every changed `.stderr` file before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
