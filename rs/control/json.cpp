// JSON replies (see json.hpp).
#include "rs/control/json.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "rs/control/commands.hpp"

namespace rs::control {

namespace code = cli::code;

std::string iso_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const int64_t ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  int64_t secs = ms_total / 1000, ms = ms_total % 1000;
  if (ms < 0) ms += 1000, --secs;
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  localtime_r(&tt, &tm);
  long off = tm.tm_gmtoff;
  const char sign = off < 0 ? '-' : '+';
  off = std::labs(off);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms), sign, off / 3600, (off / 60) % 60);
  return buf;
}

std::string iso_time_us(int64_t unix_us) {
  return iso_time(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::microseconds(unix_us))));
}

Json iso_steady_ms(uint64_t steady_ms) {
  if (steady_ms == 0) return nullptr;
  return iso_time(to_system(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(steady_ms)))));
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json json_head(std::string_view command) {
  Json j;
  j["schema"] = kJsonSchema;
  j["command"] = std::string(command);
  j["ok"] = true;
  j["code"] = 0;
  return j;
}

void write_json(cli::ReplyWriter& w, const Json& doc) {
  bool any = false;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string member = (any ? "," : "{") + dump(Json(it.key())) + ":";
    any = true;
    if (it->is_array() && !it->empty()) {
      w.line(code::kJson, member + "[");
      bool first = true;
      for (const auto& e : *it) {
        w.line(code::kJson, (first ? "" : ",") + dump(e));
        first = false;
      }
      w.line(code::kJson, "]");
    } else {
      w.line(code::kJson, member + dump(*it));
    }
  }
  w.line(code::kJson, any ? "}" : "{}");
  w.end();
}

std::unique_ptr<Output> json_reply(const Json& doc) {
  cli::ReplyWriter w;
  write_json(w, doc);
  return std::make_unique<TextOutput>(std::move(w), true);
}

namespace {

// Runs the text reply and turns each of its lines into a `messages` element as it comes.
class EnvelopeOutput final : public Output {
 public:
  EnvelopeOutput(std::string command, std::unique_ptr<Output> text)
      : command_(std::move(command)), text_(std::move(text)) {}

  bool next(cli::ReplyWriter& w, std::size_t budget) override {
    if (!started_) {
      started_ = true;
      Json head;
      head["schema"] = kJsonSchema;
      head["command"] = command_.empty() ? Json(nullptr) : Json(command_);
      std::string s = dump(head);
      s.pop_back();  // the object goes on: messages, then the result
      w.line(code::kJson, s + ",\"messages\":[");
    }
    cli::ReplyWriter inner;
    const bool more = text_->next(inner, budget);
    parser_.feed(inner.take());
    while (auto l = parser_.next()) {
      code_ = l->code;
      if (l->last && l->code == code::kOk && l->text.empty()) continue;  // the bare "0000 " end
      if (!l->text.empty()) message_ = l->text;
      Json m;
      m["code"] = l->code;
      m["text"] = l->text;
      w.line(code::kJson, (first_ ? "" : ",") + dump(m));
      first_ = false;
    }
    if (more) return true;
    const bool ok = !cli::is_error(code_);
    Json tail;
    tail["ok"] = ok;
    tail["code"] = code_;
    tail["message"] = message_;
    w.line(code::kJson, "]," + dump(tail).substr(1));
    if (ok)
      w.end();
    else
      w.end(code_, message_);
    return false;
  }
  bool wait(std::function<void()> wake) override { return text_->wait(std::move(wake)); }
  bool json() const override { return true; }

 private:
  std::string command_;
  std::unique_ptr<Output> text_;
  cli::ReplyParser parser_;
  bool started_ = false, first_ = true;
  int code_ = 0;
  std::string message_;
};

}  // namespace

std::unique_ptr<Output> json_envelope(std::string command, std::unique_ptr<Output> text) {
  return std::make_unique<EnvelopeOutput>(std::move(command), std::move(text));
}

}  // namespace rs::control
