//! Keeping a committed bindings file in step with its interface, from a test.

use std::path::{Path, PathBuf};

/// The environment variable that makes [`keep_fresh`] write the file instead of comparing it.
pub const BLESS: &str = "REMOTES_BLESS";

/// A committed bindings file that differs from what its interface generates now (see [`keep_fresh`]).
#[derive(Debug, thiserror::Error)]
pub enum StaleBindings {
    /// The file's text is not the generated text.
    #[error(
        "{} is stale: it differs from what the interface generates (first at line {line}); if the change is \
         intended, rewrite it with `{BLESS}=1 cargo test` and review its diff",
        path.display()
    )]
    Differs {
        /// The file.
        path: PathBuf,
        /// The first line (from 1) that differs.
        line: usize,
    },
    /// The file could not be read (it is missing: write it with `REMOTES_BLESS=1 cargo test`) or written.
    #[error("{}: {source} (write it with `{BLESS}=1 cargo test`)", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// Compares the committed file at `path` with `text` (what `net::typescript()` returns), or writes it when the
/// environment variable `REMOTES_BLESS` is set. Call it from a test of the crate that declares the interface, and
/// commit the file with the client: the test then fails whenever the interface changed and the bindings were not
/// regenerated, so CI catches stale bindings.
///
/// ```no_run
/// # use remotes_runtime::remotes;
/// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
/// #[test]
/// fn typescript_bindings_are_fresh() {
///     let text = net::typescript().unwrap();
///     remotes_runtime::typescript::keep_fresh("client/src/net.ts", &text).unwrap();
/// }
/// ```
pub fn keep_fresh(path: impl AsRef<Path>, text: &str) -> Result<(), StaleBindings> {
    let path = path.as_ref();
    let io = |source| StaleBindings::Io { path: path.to_owned(), source };
    if std::env::var_os(BLESS).is_some() {
        return std::fs::write(path, text).map_err(io);
    }
    let committed = std::fs::read_to_string(path).map_err(io)?;
    if committed == text {
        return Ok(());
    }
    let (old, new): (Vec<&str>, Vec<&str>) = (committed.lines().collect(), text.lines().collect());
    let line = (0..old.len().max(new.len())).find(|&i| old.get(i) != new.get(i)).map_or(old.len(), |i| i + 1);
    Err(StaleBindings::Differs { path: path.to_owned(), line })
}
