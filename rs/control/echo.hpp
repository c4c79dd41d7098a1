// `echo` (BIRD 2): log messages copied to the CLI sessions that asked for them. BIRD sends them as
// asynchronous lines starting with '+' (no reply code) between replies; so does rsd. The EchoSink
// is an spdlog sink the daemon adds to its logger; it hands each message to the subscribed
// sessions, which queue it (bounded by the session's buffer size; excess is dropped and counted)
// and write it when no reply is being written.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace rs::control {

// BIRD's log classes, as `echo` names them.
enum EchoClass : uint32_t {
  kEchoDebug = 1 << 0,
  kEchoTrace = 1 << 1,
  kEchoInfo = 1 << 2,
  kEchoRemote = 1 << 3,
  kEchoWarning = 1 << 4,
  kEchoError = 1 << 5,
  kEchoAuth = 1 << 6,
  kEchoAll = 0x7f,
};

class EchoSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Deliver = std::function<void(uint32_t cls, std::string_view text)>;
  // The process-wide sink (added to the logger by the daemon; sessions subscribe to it).
  static std::shared_ptr<EchoSink> instance();
  // Returns a subscription id; `deliver` is called on the logging thread.
  uint64_t subscribe(Deliver deliver);
  void unsubscribe(uint64_t id);

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::mutex subs_mu_;
  uint64_t next_id_ = 1;
  std::vector<std::pair<uint64_t, Deliver>> subs_;
};

}  // namespace rs::control
