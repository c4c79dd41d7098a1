// The `echo` sink (echo.hpp): takes each message's BIRD log class and fans messages out.
#include "rs/control/echo.hpp"

#include <algorithm>

#include "rs/log/log_class.hpp"

namespace rs::control {

std::shared_ptr<EchoSink> EchoSink::instance() {
  static std::shared_ptr<EchoSink> s = std::make_shared<EchoSink>();
  return s;
}

uint64_t EchoSink::subscribe(Deliver deliver) {
  std::lock_guard lock(subs_mu_);
  subs_.emplace_back(next_id_, std::move(deliver));
  return next_id_++;
}

void EchoSink::unsubscribe(uint64_t id) {
  std::lock_guard lock(subs_mu_);
  subs_.erase(
      std::remove_if(subs_.begin(), subs_.end(), [id](const auto& s) { return s.first == id; }),
      subs_.end());
}

void EchoSink::sink_it_(const spdlog::details::log_msg& msg) {
  // BIRD's class (rs/log): the level's, or remote / auth / bug ... from the rs::log helpers.
  // fatal and bug are shown to `echo` sessions as errors (echo has no such classes).
  uint32_t cls = log::class_of(msg);
  if (cls > kEchoAuth) cls = kEchoError;
  std::string text(msg.payload.data(), msg.payload.size());
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::vector<Deliver> targets;
  {
    std::lock_guard lock(subs_mu_);
    for (const auto& s : subs_) targets.push_back(s.second);
  }
  for (const auto& d : targets) d(cls, text);
}

}  // namespace rs::control
