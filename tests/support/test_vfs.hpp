// A test SQLite VFS over the process's default one, for what a disk does
// that a test cannot make it do: lose power, fill up, fail a write.
//
// install() registers it as the default VFS of this process, so every
// connection opened afterwards (the library's too) goes through it. It
// forwards every call to the VFS that was the default before, and for the
// files it tracks — main databases, rollback journals and WALs, by path —
// keeps a model of the disk:
//   - the durable image of each file: its content as of its last xSync (or,
//     for a file that existed when first opened, its content then), and
//     whether its directory entry is durable;
//   - the operations since: writes, truncations, deletion and re-creation.
// Real fsyncs are skipped: the model decides what survives, not the disk.
//
// Power cut (power_cut_at): at the chosen mutating call (xWrite, xTruncate,
// xSync, xDelete on a tracked file, counted from install()), before that call
// happens, every tracked file gets on disk what a power cut would leave:
//   - CutMode::unsynced_lost: its durable image (absent if its entry never
//     was durable);
//   - CutMode::torn: its durable image plus a random subset of the writes
//     and truncations since, in order, the last write cut short at a sector
//     boundary (a torn page). A file deleted or re-created since its last
//     sync falls back to unsynced_lost.
// Each database's -shm is deleted (it is not durable: SQLite rebuilds it
// from the WAL). Then `on_cut` runs and the process is SIGKILLed with the
// connections still open, so nothing else reaches the files. So a cut is
// made in a forked child; the parent waits for it and inspects the files.
//
// Deletion follows SQLite's unix VFS: an xDelete is durable only when asked
// with dirSync; a file created by xOpen becomes durable at its first xSync
// (the unix VFS syncs the directory of a new journal or WAL then).
//
// I/O errors (fail_from): from the Nth write or sync of a tracked file on,
// that call and every later one of its kind fails with the given SQLite
// code, without touching the file, until clear_failure() — a full disk
// stays full until space is freed.
#pragma once

#include <cstdint>
#include <functional>

namespace a3s::test::vfs {

enum class CutMode { unsynced_lost, torn };

// Registers the VFS as the process's default (once; later calls do
// nothing) and resets the call count. Throws std::runtime_error when
// SQLite refuses.
void install();

// Mutating calls (xWrite, xTruncate, xSync, xDelete) on tracked files since
// install().
std::uint64_t mutating_calls();

// Arms a power cut at mutating call number `call` (1-based, counted from
// install()); `seed` drives CutMode::torn's choices. `on_cut` runs after the
// files are written, just before SIGKILL (e.g. to record what was
// acknowledged).
void power_cut_at(std::uint64_t call, CutMode mode, std::uint32_t seed,
                  std::function<void()> on_cut);

// Cuts the power now, as power_cut_at() does at its call. Never returns.
[[noreturn]] void cut_power_now(CutMode mode, std::uint32_t seed, std::function<void()> on_cut);

enum class Kind { write, sync };

// From the `nth` call of `kind` on a tracked file counted from now on
// (1-based), that call and every later one of that kind returns
// `sqlite_code` (e.g. SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC).
void fail_from(Kind kind, std::uint64_t nth, int sqlite_code);

// Stops failing; returns how many calls failed since fail_from().
std::uint64_t clear_failure();

// Calls of `kind` on tracked files since install().
std::uint64_t calls_of(Kind kind);

}  // namespace a3s::test::vfs
