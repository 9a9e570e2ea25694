//! Request budgets: token buckets per client address for anonymous callers and per account for
//! signed-in ones. Every request takes one token before it runs; an expensive document takes
//! more once its complexity is known. An empty bucket answers `RATE_LIMITED` with the wait.
use crate::config::RateBudgets;
use crate::error::AppError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use uuid::Uuid;

/// Whose bucket a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payer {
    Address(IpAddr),
    Account(Uuid),
}

/// Complexity points per extra token: an ordinary page costs nothing extra.
pub const COMPLEXITY_PER_TOKEN: usize = 500;

#[derive(Clone)]
pub struct Budgets {
    anonymous: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    accounts: Option<Arc<DefaultKeyedRateLimiter<Uuid>>>,
    clock: DefaultClock,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(
    per_sec: u32,
    burst: u32,
) -> Option<Arc<DefaultKeyedRateLimiter<K>>> {
    let rate = NonZeroU32::new(per_sec)?;
    let burst = NonZeroU32::new(burst.max(per_sec)).unwrap_or(rate);
    Some(Arc::new(DefaultKeyedRateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    )))
}

impl Budgets {
    pub fn new(rates: &RateBudgets) -> Self {
        Budgets {
            anonymous: limiter(rates.anonymous_per_sec, rates.anonymous_burst),
            accounts: limiter(rates.account_per_sec, rates.account_burst),
            clock: DefaultClock::default(),
        }
    }

    /// Takes `tokens` from the payer's bucket, or says how long to wait.
    pub fn charge(&self, payer: Payer, tokens: u32) -> Result<(), AppError> {
        let Some(n) = NonZeroU32::new(tokens) else {
            return Ok(());
        };
        let outcome = match payer {
            Payer::Address(ip) => match &self.anonymous {
                Some(limiter) => limiter.check_key_n(&ip, n),
                None => return Ok(()),
            },
            Payer::Account(id) => match &self.accounts {
                Some(limiter) => limiter.check_key_n(&id, n),
                None => return Ok(()),
            },
        };
        match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64))
            }
            // More than a full bucket: never affordable, so the request is too expensive.
            Err(_) => Err(AppError::QueryTooComplex(
                "请求开销超过单次预算，请拆分查询".into(),
            )),
        }
    }

    /// Forgets buckets that have refilled, so memory follows the active clients only.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.anonymous {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.accounts {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

fn rate_limited(retry_after_secs: u64) -> AppError {
    AppError::RateLimited {
        message: format!("请求过于频繁，请 {retry_after_secs} 秒后再试"),
        retry_after_secs,
    }
}

/// Extra tokens for a document of this complexity.
pub fn tokens_for_complexity(complexity: usize) -> u32 {
    u32::try_from(complexity / COMPLEXITY_PER_TOKEN).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(per_sec: u32, burst: u32) -> RateBudgets {
        RateBudgets {
            anonymous_per_sec: per_sec,
            anonymous_burst: burst,
            account_per_sec: per_sec,
            account_burst: burst,
            trust_forwarded_for: false,
        }
    }

    #[test]
    fn a_bucket_empties_then_says_how_long_to_wait() {
        let budgets = Budgets::new(&rates(1, 3));
        let ip = Payer::Address("10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            budgets.charge(ip, 1).expect("within the burst");
        }
        match budgets.charge(ip, 1) {
            Err(AppError::RateLimited {
                retry_after_secs, ..
            }) => assert!((1..=2).contains(&retry_after_secs)),
            other => panic!("expected RATE_LIMITED, got {other:?}"),
        }
        // Another client has its own bucket; an account too.
        budgets
            .charge(Payer::Address("10.0.0.2".parse().unwrap()), 1)
            .expect("own bucket");
        budgets
            .charge(Payer::Account(Uuid::nil()), 3)
            .expect("own bucket");
        // More than a whole bucket can never be paid.
        assert!(matches!(
            budgets.charge(Payer::Account(Uuid::max()), 4),
            Err(AppError::QueryTooComplex(_))
        ));
    }

    #[test]
    fn a_zero_rate_turns_the_budget_off() {
        let budgets = Budgets::new(&rates(0, 0));
        for _ in 0..1000 {
            budgets
                .charge(Payer::Address("10.0.0.1".parse().unwrap()), 1)
                .expect("no budget");
        }
    }
}
