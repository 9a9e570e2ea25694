//! `gridhub`: see `gridhub --help`.

/// mimalloc: fewer CPU cycles per request than the system allocator for the many small,
/// short-lived allocations of a GraphQL request (feature `mimalloc`, on by default).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gridhub::cli::main()
}
