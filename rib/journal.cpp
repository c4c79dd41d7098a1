// Journal implementation: prefix keys in large blocks with sequence numbers; trimming drops what
// every open cursor has read and frees the blocks left behind.
#include "rib/journal.hpp"

#include <algorithm>
#include <cassert>

namespace rs::rib {

Journal::CursorId Journal::open_cursor() {
  for (CursorId i = 0; i < cursors_.size(); ++i) {
    if (cursors_[i] == kClosed) {
      cursors_[i] = head();
      return i;
    }
  }
  cursors_.push_back(head());
  return static_cast<CursorId>(cursors_.size() - 1);
}

void Journal::close_cursor(CursorId c) {
  assert(c < cursors_.size());
  cursors_[c] = kClosed;
  trim();
}

std::size_t Journal::read(CursorId c, std::size_t max, std::vector<Prefix>& out) {
  assert(c < cursors_.size() && cursors_[c] != kClosed);
  Seq& pos = cursors_[c];
  const std::size_t n = std::min<std::size_t>(max, head() - pos);
  const std::size_t from = static_cast<std::size_t>(pos - base_);
  for (std::size_t i = 0; i < n; ++i) out.push_back(entry(from + i).prefix());
  pos += n;
  trim();
  return n;
}

std::size_t Journal::pending(CursorId c) const {
  assert(c < cursors_.size() && cursors_[c] != kClosed);
  return head() - cursors_[c];
}

void Journal::trim() {
  Seq low = head();
  for (Seq s : cursors_)
    if (s != kClosed) low = std::min(low, s);
  if (low <= base_) return;
  const std::size_t n = static_cast<std::size_t>(low - base_);
  base_ = low;
  first_ += n;
  size_ -= n;
  while (first_ >= kBlockEntries) {
    blocks_.pop_front();
    first_ -= kBlockEntries;
  }
  if (size_ == 0) {  // empty: keep one block (its touched pages) for the next burst
    while (blocks_.size() > 1) blocks_.pop_back();
    first_ = 0;
  }
}

}  // namespace rs::rib
