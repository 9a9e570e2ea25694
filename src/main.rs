//! `gridhub`: see `gridhub --help`.
fn main() -> std::process::ExitCode {
    gridhub::cli::main()
}
