#include "rs/walker.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace rs {

void Walker::walk(std::optional<rib::Family> family, std::function<void(const rib::Prefix&)> step,
                  std::function<void()> done) {
  Walk w;
  w.family = family;
  w.step = std::move(step);
  w.done = std::move(done);
  walks_.push_back(std::move(w));
  post();
}

void Walker::post() {
  if (posted_ || walks_.empty()) return;
  posted_ = true;
  boost::asio::post(io_, [this] { step(); });
}

void Walker::step() {
  posted_ = false;
  if (walks_.empty()) return;
  Walk& w = walks_.front();
  if (w.snapshot) {
    w.prefixes = w.family ? rib_.snapshot(*w.family) : rib_.snapshot();
    w.snapshot = false;
  }
  const std::size_t end = std::min(w.prefixes.size(), w.pos + kChunk);
  for (; w.pos < end; ++w.pos) w.step(w.prefixes[w.pos]);
  if (w.pos == w.prefixes.size()) {
    auto done = std::move(w.done);
    walks_.pop_front();
    if (done) done();
  }
  if (after_step_) after_step_();
  post();
}

}  // namespace rs
