//! # bilim
//!
//! A static-site generator for research knowledge bases. It reads Markdown summaries
//! (`content/`), CSV datasets and a bibliography (`data/`), computes statistics and tables at build
//! time, checks the numbers the source articles print, and writes a trilingual, searchable,
//! citable static site.
//!
//! The pipeline is [`site::load`] → [`site::compute`] → [`site::render_docs`] /
//! [`pages::render_site`] → [`output::SiteFiles::write_atomically`]; [`site::build`] runs it all.

#![warn(missing_docs)]

pub mod charts;
pub mod cite;
pub mod commands;
pub mod config;
pub mod content;
pub mod error;
pub mod fsguard;
pub mod i18n;
pub mod incremental;
pub mod markdown;
pub mod output;
pub mod pages;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
pub mod tables;
pub mod taxonomy;

pub use error::{Diagnostic, Error, Result};
