//! Background work under one supervisor: every periodic sweep (deadline breaches, claim
//! releases, idle rate-limit buckets) runs here on its own interval. A failed or panicking run
//! is logged with the job's name and retried at the next tick; the handles are kept, so
//! shutdown stops every job and `/healthz` fails if one has died. Tests call the step functions
//! directly; no job runs unless its interval is set.
use crate::error::AppResult;
use crate::state::AppState;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// One periodic job: a name for the logs, an interval and the step it runs.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    pub step: fn(AppState) -> BoxFuture<'static, AppResult<usize>>,
}

/// The jobs the settings turn on.
pub fn configured(state: &AppState) -> Vec<Job> {
    let settings = &state.settings;
    let mut jobs = Vec::new();
    if let Some(every) = settings.sweep_interval {
        jobs.push(Job {
            name: "deadline_breach_sweep",
            every,
            step: |state| {
                async move { crate::service::event::sweep_breaches(&state).await }.boxed()
            },
        });
    }
    if let Some(every) = settings.claim_sweep_interval {
        jobs.push(Job {
            name: "claim_release_sweep",
            every,
            step: |state| {
                async move { crate::service::service_item::release_stale_claims(&state).await }
                    .boxed()
            },
        });
    }
    jobs.push(Job {
        name: "rate_budget_cleanup",
        every: Duration::from_secs(60),
        step: |state| {
            async move {
                state.budgets.forget_idle();
                Ok(0)
            }
            .boxed()
        },
    });
    jobs
}

/// A task that runs for the life of the process (the change listener): if it ever ends, the
/// process is unhealthy.
pub struct Service {
    pub name: &'static str,
    pub run: fn(AppState) -> BoxFuture<'static, ()>,
}

/// The long-running services every instance needs.
pub fn services() -> Vec<Service> {
    vec![
        Service {
            name: "event_change_listener",
            run: |state| {
                let url = state.settings.database_url.clone();
                state.realtime.clone().listen(url).boxed()
            },
        },
        Service {
            name: "session_revocation_listener",
            run: |state| {
                let url = state.settings.database_url.clone();
                state.principals.clone().listen(url).boxed()
            },
        },
    ]
}

/// The running jobs.
pub struct Supervisor {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Supervisor {
    pub fn start(state: AppState, jobs: Vec<Job>, services: Vec<Service>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let mut handles: Vec<(&'static str, JoinHandle<()>)> = jobs
            .into_iter()
            .map(|job| {
                let name = job.name;
                (name, tokio::spawn(run(state.clone(), job, stopped.clone())))
            })
            .collect();
        for service in services {
            let mut stopped = stopped.clone();
            let work = (service.run)(state.clone());
            let span = tracing::info_span!("service", name = service.name);
            handles.push((
                service.name,
                tokio::spawn(
                    async move {
                        tokio::select! {
                            _ = work => tracing::error!("service ended"),
                            _ = stopped.changed() => {}
                        }
                    }
                    .instrument(span),
                ),
            ));
        }
        Supervisor { stop, handles }
    }

    /// Every job is still running (none has ended before shutdown).
    pub fn all_running(&self) -> bool {
        self.handles.iter().all(|(name, handle)| {
            let running = !handle.is_finished();
            if !running {
                tracing::error!(job = name, "background job is no longer running");
            }
            running
        })
    }

    /// Asks every job to stop after its current run and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, handle) in self.handles {
            if let Err(e) = handle.await {
                tracing::error!(job = name, error = %e, "background job ended abnormally");
            }
        }
    }
}

async fn run(state: AppState, job: Job, stopped: watch::Receiver<bool>) {
    let span = tracing::info_span!("job", name = job.name);
    run_in_span(state, job, stopped).instrument(span).await
}

async fn run_in_span(state: AppState, job: Job, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + job.every, job.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        match AssertUnwindSafe((job.step)(state.clone()))
            .catch_unwind()
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(job = job.name, changed = n, "background job ran"),
            Ok(Err(e)) => e.log("background job failed"),
            Err(_) => tracing::error!(job = job.name, "background job panicked"),
        }
        if *stopped.borrow() {
            return;
        }
    }
}
