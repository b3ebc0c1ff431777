//! glibc's allocator, told how mooring uses memory.
//!
//! Why: a pass builds a whole observation, plan and report and drops them at its end
//! (at N = 1,000 services the heap goes from about 6.5 MB between passes to 12 MB
//! during one). Left to its defaults glibc keeps what was freed: an arena per thread
//! that ever allocated, freed chunks inside the heap that are never given back, and an
//! mmap threshold that rises after each large response is freed, so the next large
//! response lands in the heap too. The resident set then sits at the busiest pass's
//! high-water mark for the life of the process; for `mooring run` in a small ECS task
//! that is the figure that counts (docs/benchmarks.md, "`mooring run` steady-state
//! memory").
//!
//! On other C libraries (musl, macOS) both functions do nothing.

/// Arenas: mooring waits on the network, so two are plenty; glibc would make up to
/// eight per core.
const ARENA_MAX: i32 = 2;
/// Allocations from this size on get their own mapping, returned to the system when
/// freed. Setting it also stops glibc raising it after each large free (up to 32 MB).
const MMAP_THRESHOLD: i32 = 128 * 1024;

/// Called first thing in `main`, before any thread exists. glibc's own environment
/// variables (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`) win when they are set.
pub fn tune() {
    let set = |name: &str| std::env::var_os(name).is_some();
    glibc::tune(
        (!set("MALLOC_ARENA_MAX")).then_some(ARENA_MAX),
        (!set("MALLOC_MMAP_THRESHOLD_")).then_some(MMAP_THRESHOLD),
    );
}

/// Gives freed memory back to the system: the end of the heap and every whole free
/// page inside it, in all arenas. Called when a pass is over; it costs about a
/// millisecond, and nothing when there is nothing to give back.
pub fn release_free_memory() {
    glibc::trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod glibc {
    pub fn tune(arena_max: Option<i32>, mmap_threshold: Option<i32>) {
        // SAFETY: mallopt only changes allocator parameters; it takes plain integers and
        // is safe to call at any time (glibc takes its own lock). A refused value (return
        // 0) leaves the default in place, which is harmless.
        unsafe {
            if let Some(n) = arena_max {
                libc::mallopt(libc::M_ARENA_MAX, n);
            }
            if let Some(bytes) = mmap_threshold {
                libc::mallopt(libc::M_MMAP_THRESHOLD, bytes);
            }
        }
    }

    pub fn trim() {
        // SAFETY: malloc_trim takes a pad size and returns whether memory was released;
        // it locks each arena itself and never touches memory still in use.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod glibc {
    pub fn tune(_arena_max: Option<i32>, _mmap_threshold: Option<i32>) {}
    pub fn trim() {}
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Anonymous resident memory of this process, in KiB.
    fn rss_anon_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("RssAnon:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn memory_freed_inside_the_heap_goes_back_only_when_trimmed() {
        // A pass-like burst: 64 MiB in small pieces. A few pieces stay (one per MiB, as
        // some of a pass's allocations outlive it), so the freed memory sits in holes
        // inside the heap, not at its end where glibc would give it back by itself.
        let mut burst: Vec<Option<Box<[u8]>>> = (0..65_536)
            .map(|i| Some(vec![u8::try_from(i % 251).unwrap_or(0); 1000].into_boxed_slice()))
            .collect();
        for (i, piece) in burst.iter_mut().enumerate() {
            if i % 1024 != 0 {
                *piece = None;
            }
        }
        let freed = rss_anon_kib();
        release_free_memory();
        let trimmed = rss_anon_kib();
        assert_eq!(burst.iter().flatten().count(), 64);
        // Other tests allocate at the same time: ask for half of what was freed.
        assert!(
            freed.saturating_sub(trimmed) > 32 * 1024,
            "RssAnon {freed} KiB after the free, {trimmed} KiB after the trim"
        );
    }
}
