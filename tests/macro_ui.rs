//! Compile tests of the `#[remotes]` macro: what it accepts (`tests/ui/pass`) and the errors it reports for each
//! misuse, grouped by area, with the expected compiler output next to each case:
//!
//! - `module/`: the annotated item and the macro's own arguments;
//! - `traits/`: the four remotes traits themselves;
//! - `methods/`: the shape of one remote's declaration;
//! - `types/`: argument and return types, including those that cannot cross the wire;
//! - `constraints/`: `#[remote(...)]` on arguments;
//! - `clashes/`: names that clash with generated items, with each other, or between namespaces;
//! - `callbacks/`: callbacks, listeners and middleware of the wrong shape, given to the generated methods.
//!
//! After a deliberate change to a message, regenerate the expectations with `TRYBUILD=overwrite cargo test
//! --test macro_ui` and read every changed `.stderr` file before committing it.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    for area in ["module", "traits", "methods", "types", "constraints", "clashes", "callbacks"] {
        cases.compile_fail(format!("tests/ui/{area}/*.rs"));
    }
}
