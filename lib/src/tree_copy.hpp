// Copying directory trees through open directory descriptors.
// Internal.
//
// Below the root every step is an *at() call relative to an open directory
// (O_NOFOLLOW, O_CLOEXEC), so a symlink or a rename inside the tree can never
// redirect the walk to another place: the tree is what it was when each
// directory was opened, and an entry that changes type between being listed
// and being opened is skipped, never followed or waited on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace a3s::store::detail {

// What copy_tree did.
struct CopyStats {
  // Apparent size (st_size) of every regular file copied, counted once per
  // path: a file with two hard links in the tree counts twice, as a walk of
  // the directories (the runtime's) does.
  std::uint64_t bytes = 0;
  // Entries not recreated: device nodes, fifos and sockets when not running
  // as root (or without the right to create them), and entries that changed
  // type or vanished while the tree was being copied.
  std::uint64_t skipped = 0;
};

// Copies the directory tree at `source` into a new directory named
// `dest_name` (one path component) created inside the directory open as
// `dest_parent_fd`. `dest_display` is that new directory's path, used only
// in messages.
//
// `source` itself may be reached through a symlink (it is the caller's
// argument); nothing below it is ever followed. The copy keeps, for every
// entry: its type (regular file, directory, symlink with the same target
// text; device node, fifo and socket only when running as root), its
// contents with holes kept as holes, its permission bits, its owner when the
// process may set it (otherwise the copy is the process's and loses its
// set-user-ID and set-group-ID bits), its access and modification times, and
// hard links between files of the tree. Mount points below `source` are
// crossed. Special files that are not recreated are counted in `skipped` and
// reported in one warning; entries that change while being copied are
// skipped with a warning each.
//
// Durability: when copy_tree returns, the new directory and everything in
// it (every entry, file contents, owners, modes and times) is on stable
// storage: after the whole copy, one syncfs() of the file system holding it
// writes back and commits all of it at once, rather than an fsync per file
// and directory (one journal commit each, which made a save of a tree of
// ~1,000 files 1.5x slower than `cp -a` + `sync`). Each file's writeback is
// started as soon as it is written, so it overlaps the rest of the copy.
// syncfs also writes back whatever else is dirty on that file system, as
// `sync` after `cp -a` does for every file system. A writeback error of any
// file of the copy fails the copy: Linux 5.8 and later report to syncfs()
// the file system's writeback errors since the descriptor was opened, and
// the copy's root is opened before anything is written in it (older
// kernels report none). The new directory's entry in `dest_parent_fd` is
// committed by the same syncfs on file systems that journal metadata, but
// fsyncing `dest_parent_fd` before relying on that entry stays the
// caller's part. Before copy_tree returns, no part of the copy is known to
// be durable.
//
// Throws Error(invalid_argument) if `source` is not a directory, if
// `dest_name` is not a single component or if the tree is nested more than
// 4096 directories deep; Error(io) naming the source or destination path
// and the system's reason otherwise (`dest_name` already existing, and a
// failed syncfs naming `dest_display`, included).
// On failure the partial copy is left in place for the caller to remove.
CopyStats copy_tree(const std::filesystem::path& source, int dest_parent_fd,
                    const std::string& dest_name, const std::filesystem::path& dest_display);

}  // namespace a3s::store::detail
