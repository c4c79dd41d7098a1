// A command's reply as the session sends it: produced in slices, so a reply of a million routes
// is never held in memory. The session asks for the next slice only after the previous one was
// written to the socket (a slow reader slows the producer; a vanished one ends it).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "cli/reply.hpp"

namespace rs::control {

class Output {
 public:
  virtual ~Output() = default;
  // Appends about `budget` bytes of reply lines to `w`; returns true while more remains. The
  // last slice ends the reply (w.end()).
  virtual bool next(cli::ReplyWriter& w, std::size_t budget) = 0;
  // After a next() that produced nothing: true when the reply is blocked on a shared resource (a
  // table-walk slot). The output then calls `wake` exactly once, on the event-loop thread, when it
  // can go on, and the session does nothing until then; destroying the output cancels the wait.
  // False (the default): the empty slice was still progress (a count, a filter matching nothing)
  // and the session asks again on the next event-loop turn.
  virtual bool wait(std::function<void()> wake) {
    (void)wake;
    return false;
  }
  // True when the reply is already a JSON reply (json.hpp); false for the BIRD text layout, which
  // a JSON session wraps in the generic envelope.
  virtual bool json() const { return false; }
};

// A reply that is complete already (short commands).
class TextOutput final : public Output {
 public:
  explicit TextOutput(cli::ReplyWriter w, bool json = false) : w_(std::move(w)), json_(json) {}
  bool next(cli::ReplyWriter& w, std::size_t) override {
    w = std::move(w_);
    return false;
  }
  bool json() const override { return json_; }

 private:
  cli::ReplyWriter w_;
  bool json_;
};

inline std::unique_ptr<Output> reply(int code, std::string_view text) {
  cli::ReplyWriter w;
  w.end(code, text);
  return std::make_unique<TextOutput>(std::move(w));
}
inline std::unique_ptr<Output> reply(cli::ReplyWriter w) {
  return std::make_unique<TextOutput>(std::move(w));
}

}  // namespace rs::control
