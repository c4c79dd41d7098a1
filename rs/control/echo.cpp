// The `echo` sink (echo.hpp): maps spdlog levels to BIRD's log classes and fans messages out.
#include "rs/control/echo.hpp"

#include <algorithm>

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
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [id](const auto& s) { return s.first == id; }), subs_.end());
}

void EchoSink::sink_it_(const spdlog::details::log_msg& msg) {
  uint32_t cls = kEchoInfo;
  switch (msg.level) {
    case spdlog::level::trace: cls = kEchoTrace; break;
    case spdlog::level::debug: cls = kEchoDebug; break;
    case spdlog::level::info: cls = kEchoInfo; break;
    case spdlog::level::warn: cls = kEchoWarning; break;
    default: cls = kEchoError; break;
  }
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
