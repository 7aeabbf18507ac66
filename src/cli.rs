//! The command line: `serve`, `migrate`, `protocol`, `user`, `token`, `audit`, `demo`, `openapi`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::audit::{Actor, Context};
use crate::auth::{self, Role, tokens, users};
use crate::db;
use crate::protocol::{self, store};
use crate::settings::Settings;
use crate::startup::{self, Application};

/// trialdesk: run a randomised trial of a group intervention, from screening to analysis.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Database: sqlite://PATH or a file path (SQLite), or postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "TRIALDESK_DATABASE_URL")]
    database_url: Option<String>,
    /// Settings file (TOML); `trialdesk.toml` in the working directory is read if present.
    #[arg(long, global = true, env = "TRIALDESK_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and API (migrates SQLite databases; loads the protocol into an empty one).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "TRIALDESK_BIND")]
        bind: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Check, show or amend the study protocol.
    #[command(subcommand)]
    Protocol(ProtocolCmd),
    /// Check an instrument file, or list the instruments this server knows.
    #[command(subcommand)]
    Instrument(InstrumentCmd),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Manage the study's recruiting sites.
    #[command(subcommand)]
    Site(crate::commands::SiteCmd),
    /// Verify or export the audit trail.
    #[command(subcommand)]
    Audit(crate::commands::AuditCmd),
    /// Replay, describe or simulate the randomisation.
    #[command(subcommand)]
    Randomisation(crate::commands::RandomisationCmd),
    /// Copy a whole trial into an empty database (SQLite to PostgreSQL and back), audit chain
    /// and allocations unchanged; the server should be stopped first (docs/deploy.md).
    Copy(crate::commands::CopyArgs),
    /// Fill an empty database with a simulated six-month trial (staff, participants, groups,
    /// questionnaires, safety alerts) through the service layer, then write the report.
    Demo {
        /// Seed of the simulation: the same seed gives the same trial (with the same secret key).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where the report is written.
        #[arg(long, default_value = "demo-report")]
        out: PathBuf,
        /// How many people are screened (about 40% are randomised).
        #[arg(long, default_value_t = 240, value_parser = clap::value_parser!(u32).range(20..=2000))]
        screened: u32,
    },
    /// Print the OpenAPI document of the JSON API.
    Openapi,
    /// Analyse a long-format CSV or Parquet file made elsewhere (e.g. exported from REDCap).
    Analyze(crate::commands::AnalyzeArgs),
    /// Write the de-identified analysis datasets, codebook and R/Stata load scripts.
    Export(crate::commands::ExportArgs),
    /// Write the trial report (HTML, summary.json, charts as PNG and SVG).
    Report(crate::commands::ReportArgs),
    /// Print the permission matrix (the table in docs/permissions.md).
    Permissions,
}

#[derive(Debug, Subcommand)]
enum ProtocolCmd {
    /// Check a protocol file; every problem is printed with its line and column.
    Check { file: PathBuf },
    /// Print the protocol in force.
    Show,
    /// Record a protocol file as a new version of the protocol in force.
    Amend {
        file: PathBuf,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum InstrumentCmd {
    /// Check an instrument file (docs/instruments.md); every problem is printed with its line and column.
    Check { file: PathBuf },
    /// List the bundled instruments and those in `instruments_dir`.
    List,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create an account and print its one-time password.
    Create(NewUser),
    /// List accounts.
    List,
    /// Disable an account (its sessions and tokens stop working).
    Disable {
        #[arg(long)]
        email: String,
        #[arg(long)]
        reason: String,
    },
    /// Reset an account's two-step sign-in, for an owner who lost their phone and their recovery
    /// codes (an admin can do this in the app too; the only admin cannot reset their own there).
    ResetTwoFactor {
        #[arg(long)]
        email: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
struct NewUser {
    #[arg(long)]
    email: String,
    /// admin, coordinator, moderator, statistician_blinded, statistician_unblinded or clinician.
    #[arg(long)]
    role: String,
    /// Name shown in the app (defaults to the part of the e-mail before @).
    #[arg(long)]
    name: Option<String>,
    /// A site the account may use (repeatable); needed, or `--all-sites`, once there are several.
    #[arg(long = "site", conflicts_with = "all_sites")]
    sites: Vec<String>,
    /// Every site, present and future.
    #[arg(long)]
    all_sites: bool,
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create an API token for an account and print it (shown once).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Days until it expires (1 to 365; 90 if not given).
        #[arg(long)]
        valid_days: Option<i64>,
    },
    /// Revoke a token by id.
    Revoke { id: String },
}

/// Runs the parsed command; errors are printed by `main`.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    if let Some(url) = &cli.database_url {
        settings = settings.with_database_url(url)?;
    }
    crate::telemetry::init(settings.json_logs);
    if let Command::Instrument(InstrumentCmd::Check { file }) = &cli.command {
        return check_instrument(file);
    }
    // Protocols may name the study's own instruments: load them before anything reads one.
    let library = startup::instruments(&settings)?;
    match cli.command {
        Command::Serve { bind } => serve(settings, bind).await,
        Command::Migrate => blocking(move || migrate(&settings)).await,
        Command::Protocol(ProtocolCmd::Check { file }) => check_protocol(&file, &library),
        Command::Protocol(cmd) => blocking(move || protocol_cmd(&settings, cmd)).await,
        Command::Instrument(_) => {
            for i in library.all() {
                let languages: Vec<&str> = i.languages().collect();
                println!(
                    "{}\t{}\t{} items\t{}..{}\t{}",
                    i.id(),
                    i.short_name,
                    i.items.get_ref().len(),
                    i.scoring.min.get_ref(),
                    i.scoring.max.get_ref(),
                    languages.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User(cmd) => blocking(move || user_cmd(&settings, cmd)).await,
        Command::Token(cmd) => blocking(move || token_cmd(&settings, cmd)).await,
        Command::Site(cmd) => blocking(move || crate::commands::site(&settings, &cli_context(), cmd)).await,
        Command::Audit(cmd) => blocking(move || crate::commands::audit_cmd(&settings, cmd)).await,
        Command::Randomisation(cmd) => blocking(move || crate::commands::randomisation(&settings, cmd)).await,
        Command::Demo { seed, out, screened } => {
            let options = crate::demo::Options { seed, out, screened };
            blocking(move || crate::demo::run(&settings, &options)).await
        }
        Command::Copy(args) => blocking(move || crate::commands::copy(args)).await,
        Command::Analyze(args) => blocking(move || crate::commands::analyze(args)).await,
        Command::Export(args) => blocking(move || crate::commands::export(&settings, args)).await,
        Command::Report(args) => blocking(move || crate::commands::report(&settings, args)).await,
        Command::Permissions => {
            print!("{}", auth::permissions::markdown_table());
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            println!("{}", crate::api::openapi().to_pretty_json()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn blocking<F>(f: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce() -> anyhow::Result<ExitCode> + Send + 'static,
{
    actix_web::web::block(f).await?
}

async fn serve(mut settings: Settings, bind: Option<String>) -> anyhow::Result<ExitCode> {
    if let Some(bind) = bind {
        settings.bind = bind;
    }
    let url = settings.database_url.clone();
    let app = Application::build(settings.clone()).await?;
    let host = settings.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h).replace("0.0.0.0", "127.0.0.1");
    let base = format!("http://{host}:{}", app.port());
    println!("trialdesk {} is serving at {base} ({url})", env!("CARGO_PKG_VERSION"));
    println!("  sign in:  {base}/login");
    println!("  API docs: {base}/api/docs/");
    if app.needs_first_admin {
        println!();
        println!("No staff accounts yet. Create the first administrator (prints a one-time password):");
        println!("  cargo run --release -- user create --email you@example.org --role admin");
        println!("or, with the installed binary: trialdesk user create --email you@example.org --role admin");
    }
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

/// `trialdesk migrate`: applies pending migrations and nothing else. The protocol goes in when
/// the database is first opened (`serve`, `demo` or any command), so that `demo` can still date
/// it at the start of its simulated trial.
fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let mut conn = db::connect(&settings.database_url)
        .with_context(|| format!("connecting to {}", settings.database_url))?;
    let applied = db::migrate(&mut conn)?;
    if applied.is_empty() {
        println!("{}: no pending migrations", settings.database_url);
    } else {
        println!("{}: applied {}", settings.database_url, applied.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

fn check_instrument(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match crate::instruments::check(&text) {
        Ok(i) => {
            let languages: Vec<&str> = i.languages().collect();
            println!(
                "{}: ok — {} ({}), {} items ({} scored), total {}..{}, {} bands, {} alert rules, languages {}",
                file.display(),
                i.id(),
                i.short_name,
                i.items.get_ref().len(),
                i.scored_items().count(),
                i.scoring.min.get_ref(),
                i.scoring.max.get_ref(),
                i.scoring.bands.get_ref().len(),
                i.alerts.len(),
                languages.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => report_problems(file, &errors),
    }
}

fn report_problems(file: &std::path::Path, errors: &[protocol::ProtocolError]) -> anyhow::Result<ExitCode> {
    for e in errors {
        eprintln!("{}:{}:{}: {}", file.display(), e.line, e.column, e.message);
    }
    eprintln!("{}: {} problem(s)", file.display(), errors.len());
    Ok(ExitCode::FAILURE)
}

fn check_protocol(file: &std::path::Path, library: &crate::instruments::Library) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    match protocol::check(&text, library) {
        Ok(p) => {
            println!(
                "{}: ok — study {}, {} arms, {} strata, {} eligibility criteria, {} time points",
                file.display(),
                p.study.code.get_ref(),
                p.arms.len(),
                p.stratification.len(),
                p.eligibility.len(),
                p.assessments.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => report_problems(file, &errors),
    }
}

fn cli_context() -> Context {
    Context { actor: Actor::cli(), request_id: None }
}

fn protocol_cmd(settings: &Settings, cmd: ProtocolCmd) -> anyhow::Result<ExitCode> {
    let mut conn = startup::open(settings)?;
    match cmd {
        ProtocolCmd::Check { file } => check_protocol(&file, &startup::instruments(settings)?),
        ProtocolCmd::Show => {
            let p = store::current(&mut conn)?.context("no protocol is stored yet")?;
            println!("# version {} ({}), sha256 {}\n{}", p.version, p.reason, p.content_sha256, p.content);
            Ok(ExitCode::SUCCESS)
        }
        ProtocolCmd::Amend { file, reason } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let reason =
                auth::routes::required_reason(&reason).map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            let stored =
                store::amend(&mut conn, &cli_context(), &startup::instruments(settings)?, &text, &reason)?;
            println!("recorded protocol version {} (sha256 {})", stored.version, stored.content_sha256);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn user_cmd(settings: &Settings, cmd: UserCmd) -> anyhow::Result<ExitCode> {
    let mut conn = startup::open(settings)?;
    match cmd {
        UserCmd::Create(new) => {
            let role = Role::parse(&new.role).with_context(|| {
                format!("--role: `{}` is not a role; use one of {}", new.role, auth::role_names())
            })?;
            let email = users::parse_email(&new.email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let name = new.name.unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
            let access = crate::commands::user_access(&mut conn, new.all_sites, new.sites)?;
            let password = auth::one_time_password()?;
            let hash = auth::hash_password(&password)?;
            let user = users::create(&mut conn, &cli_context(), &email, &name, role, hash, &access)?;
            println!("created {} ({}) with id {}", user.email, role, user.id);
            println!("one-time password: {password}");
            println!("It must be changed at first sign-in.");
            if settings.two_factor_roles.contains(&role) {
                println!(
                    "Then the account sets up two-step sign-in with an authenticator app (two_factor_roles)."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List => {
            for u in users::list(&mut conn)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.role,
                    if u.disabled { "disabled" } else { "active" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Disable { email, reason } => {
            let reason =
                auth::routes::required_reason(&reason).map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            let email = users::parse_email(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let user = users::find_by_email(&mut conn, &email)?
                .with_context(|| format!("no account with e-mail {email}"))?;
            let update = users::Update { disabled: Some(true), ..Default::default() };
            users::update(&mut conn, &cli_context(), &user.id, &update, &reason)?;
            println!("disabled {email}");
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::ResetTwoFactor { email, reason } => {
            let reason =
                auth::routes::required_reason(&reason).map_err(|e| anyhow::anyhow!("--reason: {e}"))?;
            let email = users::parse_email(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let user = users::find_by_email(&mut conn, &email)?
                .with_context(|| format!("no account with e-mail {email}"))?;
            auth::two_factor::reset(&mut conn, &cli_context(), &user.id, &reason)?;
            println!("reset two-step sign-in for {email}; they set it up again at their next sign-in");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn token_cmd(settings: &Settings, cmd: TokenCmd) -> anyhow::Result<ExitCode> {
    let mut conn = startup::open(settings)?;
    match cmd {
        TokenCmd::Create { email, name, valid_days } => {
            let email = users::parse_email(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let user = users::find_by_email(&mut conn, &email)?
                .with_context(|| format!("no account with e-mail {email}"))?;
            if valid_days.is_some_and(|d| !(1..=365).contains(&d)) {
                anyhow::bail!("--valid-days must be between 1 and 365");
            }
            let (token, secret) = tokens::create(&mut conn, &cli_context(), &user.id, &name, valid_days)?;
            println!("token id: {}", token.id);
            println!("token (shown once): {secret}");
            Ok(ExitCode::SUCCESS)
        }
        TokenCmd::Revoke { id } => {
            tokens::revoke(&mut conn, &cli_context(), &id, None)
                .map_err(|e| anyhow::anyhow!("token {id}: {e}"))?;
            println!("revoked token {id}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
