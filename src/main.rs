//! The `govmatch` command line: a thin front end over the library.

mod api;
mod cli;
mod web;

// The encoder allocates and frees tensors of tens of MiB per layer; glibc's malloc returns
// those to the kernel each time (mmap/munmap), and the page faults cost as much as the
// matrix products. mimalloc keeps them: measured 2.9× more tokens/s on all-MiniLM-L6-v2.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
