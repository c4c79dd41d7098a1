// The response reader of http_response.hpp. Lines end with LF, a CR before it dropped (RFC 9112
// 2.2 lets a recipient accept a bare LF). Every line is bounded; a body is kept up to
// kMaxHttpBody and reading stops there; a Content-Length that disagrees with itself or a chunk
// size that is not hex is an error, as RFC 9112 6.3 and 7.1 ask of a recipient.
#include "rs/health/http_response.hpp"

#include <algorithm>
#include <charconv>

namespace rs::health {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool http_status_line_complete(std::string_view received) {
  return received.find('\n') != std::string_view::npos || received.size() >= kMaxHttpStatusRead;
}

HttpStatus parse_http_status(std::string_view received) {
  std::string_view line = received.substr(0, kMaxHttpStatusRead);
  line = line.substr(0, line.find('\n'));
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  HttpStatus s;
  // status-line = "HTTP/" DIGIT "." DIGIT SP 3DIGIT [SP reason-phrase] (RFC 9112 4; "HTTP/2"
  // without the minor digit too); a fourth digit or any other byte after the code is not a
  // status (an "HTTP/1.1 2000" must not pass for 200).
  auto digit = [&](std::size_t i) { return i < line.size() && line[i] >= '0' && line[i] <= '9'; };
  std::size_t p = 5;
  if (line.substr(0, 5) == "HTTP/" && digit(p)) {
    ++p;
    if (p + 1 < line.size() && line[p] == '.' && digit(p + 1)) p += 2;
    // RFC 9110 15: the first digit is the class, 1 to 5.
    if (p < line.size() && line[p] == ' ' && digit(p + 1) && line[p + 1] >= '1' &&
        line[p + 1] <= '5' && digit(p + 2) && digit(p + 3) &&
        (p + 4 == line.size() || line[p + 4] == ' '))
      s.code = static_cast<unsigned>((line[p + 1] - '0') * 100 + (line[p + 2] - '0') * 10 +
                                     (line[p + 3] - '0'));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      s.line += "\\x";
      s.line += kHex[u >> 4];
      s.line += kHex[u & 15];
    } else {
      s.line += c;
    }
  }
  return s;
}

void HttpResponseReader::fail(std::string why) {
  state_ = State::Error;
  error_ = std::move(why);
}

bool HttpResponseReader::feed(std::string_view in) {
  while (!in.empty() && !finished()) {
    switch (state_) {
      case State::Body:
        take_body(in, length_, has_length_);
        if (state_ == State::Body && has_length_ && length_ == 0) state_ = State::Done;
        break;
      case State::ChunkData:
        take_body(in, length_, true);
        if (state_ == State::ChunkData && length_ == 0) state_ = State::ChunkDataEnd;
        break;
      default: {
        // A line is bounded including its LF (the header section as a whole): a line still
        // open at the bound is over it. The verdict is the same however the bytes were split.
        const auto nl = in.find('\n');
        const std::size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
        line_.append(in.substr(0, take));
        in.remove_prefix(take);
        const bool complete = nl != std::string_view::npos;
        const bool header_lines = state_ == State::Headers || state_ == State::Trailers;
        const std::size_t limit = header_lines
                                      ? kMaxHttpHeaders - std::min(header_bytes_, kMaxHttpHeaders)
                                      : kMaxHttpStatusRead;
        const bool over = complete ? line_.size() > limit : line_.size() >= limit;
        if (state_ == State::Status && (!want_body_ || !over)) {
          // A status-only check judges a line that fills the bound as it stands
          // (http_status_line_complete); the first kMaxHttpStatusRead bytes decide.
          if (!complete && !over) break;
          status_ = parse_http_status(line_);
          line_.clear();
          if (status_.code == 0)
            fail("not an HTTP response: " + status_.line);
          else
            state_ = want_body_ ? State::Headers : State::Done;
          break;
        }
        if (over) {
          fail(state_ == State::Status
                   ? "the status line is over " + std::to_string(kMaxHttpStatusRead) + " bytes"
               : header_lines
                   ? "the header section is over " + std::to_string(kMaxHttpHeaders) + " bytes"
                   : "a chunk-size line is over " + std::to_string(kMaxHttpStatusRead) + " bytes");
          break;
        }
        if (!complete) break;
        if (header_lines) header_bytes_ += line_.size();
        std::string_view l = line_;
        l.remove_suffix(1);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        const std::string copy(l);
        line_.clear();
        line(copy);
      }
    }
  }
  return finished();
}

void HttpResponseReader::take_body(std::string_view& in, uint64_t& remaining, bool counted) {
  std::size_t n = in.size();
  if (counted) n = static_cast<std::size_t>(std::min<uint64_t>(n, remaining));
  const std::size_t room = kMaxHttpBody - body_.size();
  if (n > room) {
    // The verdict is made on the first kMaxHttpBody bytes; the rest is not read.
    body_.append(in.substr(0, room));
    in = {};
    capped_ = true;
    state_ = State::Done;
    return;
  }
  body_.append(in.substr(0, n));
  in.remove_prefix(n);
  if (counted) remaining -= n;
}

void HttpResponseReader::line(std::string_view l) {
  switch (state_) {
    case State::Headers:
      if (l.empty()) return headers_done();
      return header(l);
    case State::ChunkSize: {
      // chunk-size [ chunk-ext ] (RFC 9112 7.1): hex digits, then optional ";..." extensions.
      std::string_view hex = trim(l.substr(0, l.find(';')));
      uint64_t size = 0;
      auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
      if (hex.empty() || ec != std::errc() || p != hex.data() + hex.size())
        return fail("a chunk size is not hexadecimal");
      if (size == 0) {
        state_ = State::Trailers;
        return;
      }
      length_ = size;
      state_ = State::ChunkData;
      return;
    }
    case State::ChunkDataEnd:
      if (!l.empty()) return fail("a chunk's data does not end with CRLF");
      state_ = State::ChunkSize;
      return;
    case State::Trailers:
      if (l.empty()) state_ = State::Done;
      return;
    default:
      return;
  }
}

void HttpResponseReader::header(std::string_view l) {
  if (l.front() == ' ' || l.front() == '\t')
    return fail("obsolete line folding in a header field");  // RFC 9112 5.2
  const auto colon = l.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail("a header line has no name");
  const std::string_view name = l.substr(0, colon);
  if (name.find_first_of(" \t") != std::string_view::npos)
    return fail("a header name holds a blank");  // RFC 9112 5.1
  const std::string_view value = trim(l.substr(colon + 1));
  if (iequals(name, "transfer-encoding")) {
    // The final coding decides (RFC 9112 6.3): chunked, or the body runs to the close.
    std::string_view last =
        value.substr(value.rfind(',') == std::string_view::npos ? 0 : value.rfind(',') + 1);
    chunked_ = iequals(trim(last), "chunked");
    transfer_encoding_ = true;
    return;
  }
  if (iequals(name, "content-length")) {
    // A list of equal values is one value; different ones are an error (RFC 9110 8.6).
    std::string_view rest = value;
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view v = trim(rest.substr(0, comma));
      uint64_t n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || ec != std::errc() || p != v.data() + v.size())
        return fail("Content-Length \"" + std::string(v.substr(0, 40)) + "\" is not a number");
      if (has_length_ && n != length_) return fail("conflicting Content-Length values");
      has_length_ = true;
      length_ = n;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
}

void HttpResponseReader::headers_done() {
  header_bytes_ = 0;
  // RFC 9112 6.3: 1xx, 204 and 304 have no body; chunked wins over Content-Length.
  if (status_.code < 200 || status_.code == 204 || status_.code == 304) {
    state_ = State::Done;
  } else if (chunked_) {
    has_length_ = false;
    state_ = State::ChunkSize;
  } else if (transfer_encoding_) {
    has_length_ = false;  // another coding: the body runs to the close
    state_ = State::Body;
  } else if (has_length_ && length_ == 0) {
    state_ = State::Done;
  } else {
    state_ = State::Body;
  }
}

void HttpResponseReader::end_of_stream() {
  if (finished()) return;
  if (state_ == State::Status && !line_.empty()) {
    status_ = parse_http_status(line_);
    if (status_.code != 0 && !want_body_) {
      state_ = State::Done;
      return;
    }
    if (status_.code == 0) return fail("not an HTTP response: " + status_.line);
  }
  if (state_ == State::Body && !has_length_) {
    state_ = State::Done;
    return;
  }
  if (state_ == State::Status && line_.empty()) return fail("connection closed without a response");
  fail(state_ == State::Body
           ? "connection closed " + std::to_string(length_) + " bytes before the end of the body"
           : "connection closed before the end of the response");
}

}  // namespace rs::health
