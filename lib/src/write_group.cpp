#include "write_group.hpp"

#include <algorithm>
#include <array>

#include "fault_injection.hpp"

namespace a3s::store::detail {

void WriteQueue::join(GroupMember& member) {
  std::unique_lock lock(mutex_);
  // Under the queue's lock and before the member is in the queue: a test's
  // hook sees every writer counted here in the next group formed, and one
  // that throws leaves nothing queued. It must not call into the store.
  A3S_FAULT_POINT("write.group.queued");
  queue_.push_back(&member);
  if (gathering_ && queue_.size() >= last_group_size_) queue_.front()->woken.notify_one();
  member.woken.wait(lock, [&] { return member.done || queue_.front() == &member; });
  if (member.done) return;

  // This thread leads. Bounded by gather_: a writer of the last group that
  // does not come back (its thread has finished, or is busy elsewhere)
  // costs the others that long once.
  if (gather_.count() > 0 && queue_.size() < last_group_size_) {
    gathering_ = true;
    member.woken.wait_for(lock, gather_, [&] { return queue_.size() >= last_group_size_; });
    gathering_ = false;
  }
  std::array<GroupMember*, kMaxGroup> group;
  const std::size_t size = std::min(queue_.size(), kMaxGroup);
  last_group_size_ = size;
  std::copy_n(queue_.begin(), size, group.begin());
  lock.unlock();
  const std::span<GroupMember* const> members(group.data(), size);
  try {
    commit_(members);
  } catch (...) {
    for (GroupMember* m : members) {
      if (!m->error) m->error = std::current_exception();
    }
  }
  lock.lock();
  // Woken while the lock is held: a member's frame, its condition variable
  // with it, lives until its thread gets the lock back.
  for (GroupMember* m : members) {
    queue_.pop_front();
    m->done = true;
    if (m != &member) m->woken.notify_one();
  }
  if (!queue_.empty()) queue_.front()->woken.notify_one();  // the next leader
}

}  // namespace a3s::store::detail
