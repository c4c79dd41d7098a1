// Reply framing of BIRD's control protocol (see reply.hpp): the writer tracks the current code
// so that following lines of the same code are written as continuations (" text"), and the
// parser undoes that, attributing each continuation to the code before it.
#include "cli/reply.hpp"

namespace rs::cli {

std::string format_code(int c) {
  if (c < 0) c = 0;
  if (c > 9999) c = 9999;
  std::string s = std::to_string(c);
  return std::string(4 - s.size(), '0') + s;
}

namespace {
// A line never carries a raw newline: it would be read as a malformed line by the client.
void append_clean(std::string& out, std::string_view text) {
  for (char ch : text) out.push_back(ch == '\n' || ch == '\r' ? ' ' : ch);
}
}  // namespace

void ReplyWriter::line(int c, std::string_view text) {
  if (c == last_) {
    out_ += ' ';
  } else {
    out_ += format_code(c);
    out_ += '-';
    last_ = c;
  }
  append_clean(out_, text);
  out_ += '\n';
}

void ReplyWriter::end(int c, std::string_view text) {
  out_ += format_code(c);
  out_ += ' ';
  append_clean(out_, text);
  out_ += '\n';
  ended_ = true;
  last_ = -1;
}

std::string ReplyWriter::take() {
  std::string s;
  s.swap(out_);
  return s;
}

void ReplyParser::feed(std::string_view bytes) {
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<ReplyLine> ReplyParser::next() {
  std::size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) {
    if (buf_.size() - pos_ <= kMaxLine) return std::nullopt;
    nl = pos_ + kMaxLine;  // an endless line: cut it
  }
  std::string_view l(buf_.data() + pos_, nl - pos_);
  pos_ = nl + 1 > buf_.size() ? buf_.size() : nl + 1;
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  ReplyLine r;
  if (!l.empty() && (l[0] == ' ' || l[0] == '\t')) {
    // BIRD clients treat a line starting with a blank as a continuation; the blank is framing.
    r.code = last_code_;
    r.continuation = true;
    r.text = std::string(l.substr(1));
    return r;
  }
  bool digits = l.size() >= 5;
  for (std::size_t i = 0; digits && i < 4; ++i) digits = l[i] >= '0' && l[i] <= '9';
  if (!digits || (l[4] != '-' && l[4] != ' ')) {
    r.code = -1;
    r.text = std::string(l);
    return r;
  }
  r.code = (l[0] - '0') * 1000 + (l[1] - '0') * 100 + (l[2] - '0') * 10 + (l[3] - '0');
  r.last = l[4] == ' ';
  r.text = std::string(l.substr(5));
  last_code_ = r.code;
  return r;
}

}  // namespace rs::cli
