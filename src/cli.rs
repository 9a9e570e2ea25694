//! The `gridhub` command line: `serve` (default), `migrate`, `rebuild-figures`, `create-admin`,
//! `seed`, `export-schema`.
use crate::app::{Application, build_state};
use crate::clock::SystemClock;
use crate::config::Settings;
use crate::telemetry::init_tracing;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "gridhub", version, about = "Grid governance GraphQL server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Recompute the dashboard's daily rollups from the events (after loading events around the
    /// workflow, e.g. a bulk import). The server keeps them itself otherwise.
    RebuildFigures,
    /// Create a CITY_ADMIN account (the first admin).
    CreateAdmin {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        /// If absent, the password is read from the first line of standard input.
        #[arg(long)]
        password: Option<String>,
    },
    /// Load data sets.
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// Print the GraphQL SDL (or write it to --out).
    ExportSchema {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// The demo data set from the seed articles, with one demo account per role (idempotent).
    Demo,
    /// City-sized synthetic data for benchmarks and figures (not idempotent; use a fresh
    /// database): regions, staff, grid members, member units and liaisons, residents, events
    /// with their timelines, service items with claims. Every account it makes shares the
    /// password given; the last line printed is JSON with the ids and phones a benchmark needs.
    Scale {
        #[arg(long, default_value_t = 16)]
        sub_districts: usize,
        #[arg(long, default_value_t = 25)]
        communities_per_sub_district: usize,
        #[arg(long, default_value_t = 20)]
        grids_per_community: usize,
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        #[arg(long, default_value_t = 500_000)]
        residents: usize,
        #[arg(long, default_value_t = 100_000)]
        service_items: usize,
        #[arg(long, default_value_t = 3)]
        units_per_community: usize,
        /// One event in this many carries photos (0: none).
        #[arg(long, default_value_t = 10)]
        photo_every: usize,
        #[arg(long, default_value = "13700000001")]
        admin_phone: String,
        #[arg(long, default_value = "scale-bench-2026")]
        admin_password: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::ExportSchema { out } = &command {
        let sdl = crate::graphql::sdl();
        match out {
            Some(path) => {
                std::fs::write(path, sdl).with_context(|| format!("writing {}", path.display()))?
            }
            None => print!("{sdl}"),
        }
        return Ok(());
    }
    let production = std::env::var("GRIDHUB_ENV").is_ok_and(|v| v == "production" || v == "prod");
    init_tracing(production);
    let mut settings = Settings::from_env()?;
    if !matches!(command, Command::Serve) {
        settings.db_timeouts.for_batch();
    }
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            build_state(settings, Arc::new(SystemClock)).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::RebuildFigures => {
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            let started = std::time::Instant::now();
            crate::store::rollup::rebuild(&state.db).await?;
            eprintln!(
                "figure rollups rebuilt in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::CreateAdmin {
            phone,
            name,
            password,
        } => {
            let password = match password {
                Some(p) => p,
                None => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            let account =
                crate::service::account::create_city_admin(&state, &phone, &name, &password)
                    .await
                    .map_err(|e| anyhow::anyhow!("{} ({})", e.message(), e.code()))?;
            println!("created CITY_ADMIN {} ({})", account.name, account.id);
            Ok(())
        }
        Command::Seed {
            what:
                SeedCommand::Scale {
                    sub_districts,
                    communities_per_sub_district,
                    grids_per_community,
                    events,
                    residents,
                    service_items,
                    units_per_community,
                    photo_every,
                    admin_phone,
                    admin_password,
                },
        } => {
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            let sizes = crate::seed::scale::ScaleSizes {
                sub_districts,
                communities_per_sub_district,
                grids_per_community,
                events,
                residents,
                service_items,
                units_per_community,
                photo_every,
            };
            let started = std::time::Instant::now();
            let r = crate::seed::scale::scale(&state, sizes, &admin_phone, &admin_password)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e:?}"))?;
            println!(
                "scale data ready in {:.1}s: {} regions ({} grids), {} accounts, {} member units, \
                 {} residents, {} events, {} timeline entries, {} photos, {} points rows, \
                 {} service items, {} claims, {} item timeline entries",
                started.elapsed().as_secs_f64(),
                r.regions,
                r.grids,
                r.accounts,
                r.member_units,
                r.residents,
                r.events,
                r.event_steps,
                r.photos,
                r.points,
                r.service_items,
                r.claims,
                r.item_steps
            );
            println!("{}", serde_json::to_string(&r.ids)?);
            Ok(())
        }
        Command::Seed {
            what: SeedCommand::Demo,
        } => {
            if settings.is_production() {
                anyhow::bail!("refusing to load demo data with GRIDHUB_ENV=production");
            }
            let state = build_state(settings, Arc::new(SystemClock)).await?;
            let report = crate::seed::demo(&state)
                .await
                .map_err(|e| anyhow::anyhow!("{} ({})", e.message(), e.code()))?;
            println!(
                "demo data ready: {} regions, {} member units, {} grid members, {} residents, {} events, {} committee meetings and activities",
                report.regions,
                report.member_units,
                report.grid_members,
                report.residents,
                report.events,
                report.committee_activities
            );
            println!("demo accounts (password: {}):", crate::seed::DEMO_PASSWORD);
            for a in crate::seed::DEMO_ACCOUNTS {
                println!(
                    "  {:<20} {}  {}（{}）",
                    a.role.as_str(),
                    a.phone,
                    a.name,
                    a.scope
                );
            }
            Ok(())
        }
        Command::ExportSchema { .. } => Ok(()),
    }
}

async fn serve(settings: Settings) -> Result<()> {
    let db = crate::store::redact_url(&settings.database_url);
    if let Some(tls) = crate::config::postgres_tls(&settings.database_url)
        && settings.is_production()
        && !tls.local
        && !matches!(
            tls.sslmode.as_deref(),
            Some("require" | "verify-ca" | "verify-full")
        )
    {
        tracing::warn!(
            database = %db,
            "the database is on another machine and its connections may go unencrypted; \
             put sslmode=verify-full (or require) in DATABASE_URL"
        );
    }
    let app = Application::build(settings, Arc::new(SystemClock)).await?;
    let bind = &app.state().settings.bind;
    let host = bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
    tracing::info!(database = %db, "gridhub listening on http://{}:{}", host, app.port());
    if !app.state().settings.is_production() {
        eprintln!("GraphiQL: http://{}:{}/graphql", host, app.port());
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
