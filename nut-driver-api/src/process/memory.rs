//! Giving back the program's pages that only start-up needed.
//!
//! A daemon touches much of its program while it starts (command line, configuration
//! files, logging, TLS set-up, privilege drop) and little of it afterwards. Each page of
//! the program it touches stays mapped, and the kernel maps its neighbours too (fault-around,
//! 64 KiB at a time), so an idle upsd kept about 5 MB of its 9.8 MB program resident for
//! code it would never run again. [`release_startup_pages`] unmaps the program's read-only
//! pages once start-up is over; those the daemon still runs come back from the page cache
//! on their next use, unchanged, and the rest stay out of its resident memory.
//!
//! Start-up does not end at one line of code: after it binds and drops privileges, upsd
//! still connects to its drivers and reads their dumps, writes its PID file and logs; a
//! driver still meets its first upsd. Those pages, touched once, stayed resident (about
//! 1.8 MB in an idle upsd). [`release_startup_pages_settled`] releases once more when the
//! daemon has settled, [`SETTLE`] later, so that what stays resident is what the idle
//! daemon actually runs.

use std::fs;
use std::time::Duration;

/// How long after start-up the daemon is taken to have settled: its first connections,
/// dumps and log lines are done.
pub const SETTLE: Duration = Duration::from_secs(5);

/// [`release_startup_pages`] now, and once more after [`SETTLE`] from a task on the current
/// tokio runtime. The wait is an [`Alarm`](crate::alarm::Alarm): one wake-up in the daemon's
/// life, where tokio's timer would take three. Must be called within a tokio runtime.
pub fn release_startup_pages_settled() {
    release_startup_pages();
    tokio::spawn(async {
        crate::alarm::Alarm::new(std::time::Instant::now() + SETTLE)
            .due()
            .await;
        release_startup_pages();
    });
}

/// Unmaps, in this process, the read-only file pages of its program and of the shared
/// libraries it loaded that hold no private data, and returns how many bytes were resident
/// in them. Nothing is lost: such a page is the file's content, which the kernel maps again
/// from the page cache when the code or constant on it is next used. Writable mappings and
/// any mapping holding a private (anonymous) page, such as relocated read-only data, are
/// left alone.
///
/// The libraries count as much as the program: an idle driver kept 0.9 MB of libraries
/// only start-up used (the user database's `libnss_systemd`, the dynamic loader, `libm`).
///
/// Linux only; elsewhere, or when `/proc` cannot be read, it does nothing and returns 0.
pub fn release_startup_pages() -> u64 {
    let Ok(smaps) = fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    let mut released = 0;
    for mapping in mappings(&smaps) {
        // A file's mapping (not `[vdso]`, `[heap]` or an anonymous one).
        if !mapping.path.starts_with('/') || !mapping.releasable() {
            continue;
        }
        if imp::dont_need(mapping.start, mapping.end - mapping.start) {
            released += mapping.rss_kb * 1024;
        }
    }
    released
}

/// One mapping of `/proc/<pid>/smaps`, as far as the decision needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping<'a> {
    start: usize,
    end: usize,
    perms: &'a str,
    path: &'a str,
    rss_kb: u64,
    anonymous_kb: Option<u64>,
}

impl Mapping<'_> {
    /// Read-only, private, and with no anonymous page: all of it is the file's content.
    fn releasable(&self) -> bool {
        let mut perms = self.perms.chars();
        perms.next() == Some('r')
            && perms.next() == Some('-')
            && self.perms.ends_with('p')
            && self.anonymous_kb == Some(0)
            && self.end > self.start
    }
}

/// The mappings of an smaps text; lines it does not understand are skipped.
fn mappings(smaps: &str) -> Vec<Mapping<'_>> {
    let mut out: Vec<Mapping<'_>> = Vec::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-') {
            if let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) {
                let perms = fields.next().unwrap_or("");
                // offset, device, inode, then the path (which may hold spaces).
                let path = fields.nth(3).map_or("", |first_word| {
                    let at = line.find(first_word).unwrap_or(line.len());
                    line[at..].trim_end()
                });
                out.push(Mapping {
                    start,
                    end,
                    perms,
                    path,
                    rss_kb: 0,
                    anonymous_kb: None,
                });
                continue;
            }
        }
        let Some(last) = out.last_mut() else { continue };
        let mut kb = || fields.next().and_then(|n| n.parse::<u64>().ok());
        match first {
            "Rss:" => last.rss_kb = kb().unwrap_or(0),
            "Anonymous:" => last.anonymous_kb = kb(),
            _ => {}
        }
    }
    out
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use std::ffi::c_void;
    use std::ptr::NonNull;

    use nix::sys::mman::{madvise, MmapAdvise};

    /// `MADV_DONTNEED` over `len` bytes at `start`; whether the kernel took it.
    pub(super) fn dont_need(start: usize, len: usize) -> bool {
        let Some(addr) = NonNull::new(start as *mut c_void) else {
            return false;
        };
        // SAFETY: the range is one whole mapping of this process's own program, read-only
        // and private with no anonymous page (checked by the caller from smaps), so no
        // reference into it can observe a change: after MADV_DONTNEED each page reads back
        // the file's same bytes, mapped again on first use. Nothing in this process writes
        // to it or changes its protection.
        #[allow(unsafe_code)]
        let done = unsafe { madvise(addr, len, MmapAdvise::MADV_DONTNEED) };
        done.is_ok()
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    pub(super) fn dont_need(_start: usize, _len: usize) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
555b4fb7f000-555b4fdf6000 r--p 00000000 fe:00 1234                       /usr/bin/nut rs
Size:               2524 kB
Rss:                1284 kB
Anonymous:             0 kB
555b4fdf6000-555b50442000 r-xp 00277000 fe:00 1234                       /usr/bin/nut rs
Rss:                3884 kB
Anonymous:             0 kB
555b50442000-555b504cf000 r--p 008c2000 fe:00 1234                       /usr/bin/nut rs
Rss:                 564 kB
Anonymous:           560 kB
555b504cf000-555b504d5000 rw-p 0094d000 fe:00 1234                       /usr/bin/nut rs
Rss:                  24 kB
Anonymous:            24 kB
7f684864c000-7f68487a2000 r-xp 00028000 fe:00 326603                     /usr/lib/libc.so.6
Rss:                1168 kB
Anonymous:             0 kB
555b849b6000-555b84a19000 rw-p 00000000 00:00 0                          [heap]
Rss:                 320 kB
Anonymous:           320 kB
";

    #[test]
    fn only_clean_read_only_mappings_are_releasable() {
        let maps = mappings(SMAPS);
        assert_eq!(maps.len(), 6);
        assert_eq!(maps[0].path, "/usr/bin/nut rs");
        assert_eq!(maps[1].start, 0x555b_4fdf_6000);
        assert_eq!(maps[1].rss_kb, 3884);
        let releasable: Vec<_> = maps
            .iter()
            .filter(|m| m.releasable())
            .map(|m| (m.perms, m.path))
            .collect();
        // The relocated read-only data (anonymous pages) and the writable mappings stay.
        assert_eq!(
            releasable,
            [
                ("r--p", "/usr/bin/nut rs"),
                ("r-xp", "/usr/bin/nut rs"),
                ("r-xp", "/usr/lib/libc.so.6")
            ]
        );
        assert_eq!(maps[5].path, "[heap]");
    }

    #[test]
    fn a_mapping_without_an_anonymous_line_is_kept() {
        let maps = mappings("7f00-7f10 r-xp 00000000 fe:00 1 /bin/x\nRss: 4 kB\n");
        assert_eq!(maps.len(), 1);
        assert!(!maps[0].releasable());
        assert!(mappings("garbage\n\nRss: x\n").is_empty());
    }

    #[test]
    fn releasing_keeps_the_program_running() {
        // The test program's own code is unmapped and comes back on use.
        let released = release_startup_pages();
        if cfg!(target_os = "linux") {
            assert!(released > 0, "nothing released");
        }
        let v: Vec<u64> = (0..1000).map(|i| i * i).collect();
        assert_eq!(v.iter().sum::<u64>(), 332_833_500);
        assert!(format!("{v:?}").starts_with("[0, 1, 4"));
    }
}
