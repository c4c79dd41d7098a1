// Journal implementation: a deque of prefixes with sequence numbers; trimming drops what every
// open cursor has read.
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
  std::size_t n = std::min<std::size_t>(max, head() - pos);
  auto first = entries_.begin() + static_cast<std::ptrdiff_t>(pos - base_);
  out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(n));
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
  while (base_ < low) {
    entries_.pop_front();
    ++base_;
  }
}

}  // namespace rs::rib
