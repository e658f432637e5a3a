//! The `bilim` command line: argument parsing only; the work is in the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use bilim::site::{self, BuildOptions};

// A build allocates and frees millions of small strings (pages, postings, search documents);
// glibc's allocator spent a fifth of a serve rebuild in its own bookkeeping. See
// docs/decisions.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "bilim",
    version,
    about = "Static-site generator for research knowledge bases"
)]
struct Cli {
    /// Project directory (holds site.toml).
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into public/ (or --output); the previous output stays intact on error.
    Build {
        /// Output directory.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Override site.toml's base_url (e.g. for a preview under another path).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Build, serve on 127.0.0.1, rebuild and reload on change.
    Serve {
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 1111)]
        port: u16,
    },
    /// Run every validation of `build` without writing anything.
    Check,
    /// Full-text search of the knowledge base (English, Russian, Kazakh; Latin or Cyrillic).
    Search {
        /// Language of the results: en, ru or kk.
        #[arg(long)]
        lang: Option<String>,
        /// Kind of the results: article, dataset or table.
        #[arg(long)]
        kind: Option<String>,
        /// Publication year of the source article.
        #[arg(long)]
        year: Option<String>,
        /// Topic (slug, as in site.toml).
        #[arg(long)]
        topic: Option<String>,
        /// Method (slug, as in site.toml).
        #[arg(long)]
        method: Option<String>,
        /// Journal issue (slug, as in the issues/ pages).
        #[arg(long)]
        issue: Option<String>,
        /// Maximum number of results.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Treat the last word as a prefix, as the browser does while you type.
        #[arg(long)]
        prefix: bool,
        /// Print JSON: url, title, lang, kind, score, excerpt, highlights, alternates.
        #[arg(long)]
        json: bool,
        /// Print how each word of the query is analysed (JSON lines) instead of searching.
        #[arg(long, hide = true)]
        analyze: bool,
        /// The query.
        #[arg(required = true)]
        query: Vec<String>,
    },
    /// Print the citation of an article (slug), dataset or computed table (id).
    Cite {
        /// Article slug, dataset id or table id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CiteFormat::Apa)]
        format: CiteFormat,
    },
    /// Print a computed table.
    Table {
        /// Table id (tbl-…).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TableFormat::Markdown)]
        format: TableFormat,
    },
    /// Create content from a template.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
}

#[derive(Subcommand)]
enum NewWhat {
    /// A new article summary with every front-matter field.
    Article {
        /// Directory name under content/articles/.
        slug: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CiteFormat {
    Apa,
    Gost,
    Chicago,
    Bibtex,
    Ris,
    CslJson,
}

#[derive(Clone, Copy, ValueEnum)]
enum TableFormat {
    Csv,
    Json,
    Markdown,
}

fn main() -> ExitCode {
    // Like other command-line tools, end quietly when the reader of our output goes away
    // (`bilim check 2>&1 | head`) instead of panicking on a failed write.
    // SAFETY: setting a signal disposition to its default at start-up, before any thread exists.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> bilim::Result<()> {
    let root = cli.root;
    let interactive = std::io::stderr().is_terminal();
    match cli.command {
        Command::Build { output, base_url } => {
            let mut opts = BuildOptions::new(&root);
            if let Some(o) = output {
                opts.output = o;
            }
            opts.base_url = base_url;
            let spinner = interactive.then(|| spinner("building"));
            let report = site::build(&opts);
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            let r = report?;
            for w in &r.warnings {
                eprintln!("{w}");
            }
            eprintln!(
                "built {} pages ({} files) in {:.2} s into {}; {} computed tables, {} checks match, {} differ",
                r.pages,
                r.files,
                r.elapsed.as_secs_f64(),
                opts.output.display(),
                r.tables,
                r.checks_matched,
                r.checks_mismatched
            );
        }
        Command::Serve { port } => bilim::serve::serve(&root, port, !interactive)?,
        Command::Check => {
            let (_, r) = site::build_files(&BuildOptions::new(&root))?;
            for w in &r.warnings {
                eprintln!("{w}");
            }
            eprintln!(
                "ok: {} pages, {} computed tables, {} checks match, {} differ",
                r.pages, r.tables, r.checks_matched, r.checks_mismatched
            );
        }
        Command::Search {
            lang,
            kind,
            year,
            topic,
            method,
            issue,
            limit,
            prefix,
            json,
            analyze,
            query,
        } => {
            if analyze {
                print!("{}", bilim::search::cli::analyze_words(&query.join(" ")));
                return Ok(());
            }
            let opts = bilim::search::cli::Options {
                lang,
                kind,
                year,
                topic,
                method,
                issue,
                limit,
                prefix,
            };
            let spinner = interactive.then(|| spinner("searching"));
            let out = bilim::search::cli::run(
                &root,
                &query.join(" "),
                &opts,
                json,
                std::io::stdout().is_terminal(),
            );
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            print!("{}", out?);
        }
        Command::Cite { id, format } => {
            let fmt = match format {
                CiteFormat::Apa => "apa",
                CiteFormat::Gost => "gost",
                CiteFormat::Chicago => "chicago",
                CiteFormat::Bibtex => "bibtex",
                CiteFormat::Ris => "ris",
                CiteFormat::CslJson => "csl-json",
            };
            print!("{}", bilim::commands::cite(&root, &id, fmt)?);
        }
        Command::Table { id, format } => {
            let fmt = match format {
                TableFormat::Csv => "csv",
                TableFormat::Json => "json",
                TableFormat::Markdown => "markdown",
            };
            print!("{}", bilim::commands::table(&root, &id, fmt)?);
        }
        Command::New {
            what: NewWhat::Article { slug },
        } => {
            let path = bilim::commands::new_article(&root, &slug)?;
            eprintln!("created {}", path.display());
        }
    }
    Ok(())
}

fn spinner(msg: &'static str) -> indicatif::ProgressBar {
    let s = indicatif::ProgressBar::new_spinner();
    s.set_message(msg);
    s.enable_steady_tick(std::time::Duration::from_millis(100));
    s
}
