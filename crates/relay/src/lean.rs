//! Keeping the wrapper small while it idles beside its server. With glibc, every thread that
//! allocates gets an arena of its own, which stays resident: about 7 MiB of idle memory here
//! (measured with `MALLOC_ARENA_MAX`). Other allocators and platforms need nothing here.

/// At most two arenas: the relay's thread and the audit writer's then do not contend for one
/// lock, and short-lived threads (the warm-up) add none. Call before starting threads.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
