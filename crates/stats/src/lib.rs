//! # bilim-stats
//!
//! The computational heart of bilim: datasets, formula expressions, the statistical table
//! operations of the `{table}` directive and the checks of printed numbers (`[[expect]]`).
//!
//! The main crate reads files and renders; this crate never touches the file system:
//!
//! 1. [`dataset::load`] parses `data/<id>.csv` (bytes) and `data/<id>.toml` (text) into a typed
//!    [`dataset::Dataset`], or a [`dataset::DataError`] with file, line, column, message and hint.
//! 2. [`spec::TableSpec::parse`] parses a `{table}` block into a typed [`spec::TableSpec`], or a
//!    [`spec::SpecError`] with the line and column within the block.
//! 3. [`ops::compute`] runs the op on the dataset and returns a [`table::ComputedTable`], or an
//!    [`ops::OpError`] naming the directive key at fault.
//! 4. [`table::run_checks`] compares the `[[expect]]` entries with the table.
//!
//! Modules: [`dataset`], [`formula`], [`numeric`], [`ops`], [`spec`], [`table`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dataset;
pub mod formula;
pub mod numeric;
pub mod ops;
pub mod spec;
pub mod table;

pub use dataset::{load, DataError, Dataset};
pub use ops::{compute, OpError};
pub use spec::{SpecError, TableSpec};
pub use table::{run_checks, CheckResult, CheckStatus, ComputedTable};

/// The crate version, for provenance (`generator`) and cache keys.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
