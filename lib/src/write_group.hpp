// Group commit for the writers of one process. Internal.
//
// Threads that write at the same time share one transaction and one COMMIT,
// so a durable commit's fsync is paid once per group rather than once per
// operation. Writers queue; the one at the front leads: it takes itself and
// the writers queued behind it (at most kMaxGroup) as one group, hands them
// to the commit function, and wakes each with its own outcome once that
// returns. Whoever queued while the previous group was committing forms the
// next group.
//
// The writers a group's end wakes come back one by one (on two cores, one
// or two at a time), so the first of them would otherwise lead a group of
// its own, paying a whole commit for one writer while the others queue
// behind it. A leader that finds fewer writers queued than the last group
// had may therefore wait for them, up to a bound given at construction (a
// fraction of a commit's fsync; zero when commits do not sync).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>

namespace a3s::store {
class Connection;
}  // namespace a3s::store

namespace a3s::store::detail {

// One writer's operation: its body, type-erased, and what became of it.
// Lives in the writer's stack frame until join() returns.
struct GroupMember {
  GroupMember(void (*run_body)(void* body, Connection& conn), void* writer_body,
              std::string_view writer_context)
      : run(run_body), body(writer_body), context(writer_context) {}
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // Runs the writer's body on the group's connection inside its transaction
  // (re-runnable: a retried group runs it again), keeping its result in the
  // writer's frame. Throws what the body throws.
  void (*run)(void* body, Connection& conn);
  void* body;
  // Names the operation in its error messages.
  std::string_view context;

  // Set by the commit function before join() returns. Null: the body's
  // changes are committed. Otherwise the member's own failure (its body
  // threw; its changes are rolled back) or the group's (nothing of the group
  // is committed). Exceptions from SQLite are left as SQLite::Exception for
  // the writer to describe with its own context.
  std::exception_ptr error;
  // The group's COMMIT failed in its fsync: see last_commit_outcome_unknown.
  bool outcome_unknown = false;

  // The queue's own: whether the member's group is done, and its wake-up.
  bool done = false;
  std::condition_variable woken;
};

// The queue of one Database's grouped writers.
class WriteQueue {
 public:
  // The most writers one group takes: a bound on how long the first of them
  // waits for the others' bodies to run.
  static constexpr std::size_t kMaxGroup = 64;

  // Runs a group and sets each member's error and outcome_unknown. What it
  // throws becomes the error of every member that has none.
  using CommitGroup = std::function<void(std::span<GroupMember* const> group)>;

  // `gather`: how long a leader may wait for the writers of the last group
  // to queue again (see above); zero for never.
  WriteQueue(CommitGroup commit, std::chrono::microseconds gather)
      : commit_(std::move(commit)), gather_(gather) {}

  // Queues `member` and returns when its group is committed or has failed
  // (member.error says which). Runs other writers' groups meanwhile when
  // this thread is at the front of the queue. Must not be called from inside
  // a member's body: the group it is in cannot finish before the body does.
  void join(GroupMember& member);

 private:
  const CommitGroup commit_;
  const std::chrono::microseconds gather_;
  std::mutex mutex_;
  // Members not yet done, in arrival order; the front one's thread leads.
  std::deque<GroupMember*> queue_;
  // How many writers the last group had.
  std::size_t last_group_size_ = 0;
  // Whether the front member's thread waits for queue_ to reach
  // last_group_size_ (the writer that makes it so wakes it).
  bool gathering_ = false;
};

}  // namespace a3s::store::detail
