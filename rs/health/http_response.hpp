// Reading the answer of an `http` check, incrementally and within fixed bounds: the status line
// (kMaxHttpStatusRead), the header section (kMaxHttpHeaders) and the first kMaxHttpBody bytes of
// the body, framed by Transfer-Encoding: chunked, by Content-Length or by the end of the
// connection (RFC 9112 6.3). Pure: the probe feeds it what each read returns, the fuzz target
// feeds it arbitrary bytes split arbitrarily, and the verdict never depends on the split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/http_url.hpp"

namespace rs::health {

using conf::kMaxHttpBody;
inline constexpr std::size_t kMaxHttpStatusRead = 1024;
inline constexpr std::size_t kMaxHttpHeaders = 16 * 1024;  // header section (and trailers)

struct HttpStatus {
  unsigned code = 0;  // 100..599; 0: not "HTTP/x.y NNN[ reason]" (RFC 9112 4, RFC 9110 15)
  std::string line;   // the status line without its CR LF, control bytes as \xNN (show health)
};
// The status line at the start of `received` (up to its LF, at most kMaxHttpStatusRead bytes).
[[nodiscard]] HttpStatus parse_http_status(std::string_view received);
// Whether the status line can be judged: a LF came, or kMaxHttpStatusRead bytes did.
[[nodiscard]] bool http_status_line_complete(std::string_view received);

class HttpResponseReader {
 public:
  // `want_body`: false reads the status line only (a status-only check needs nothing more).
  explicit HttpResponseReader(bool want_body) : want_body_(want_body) {}

  // Takes the bytes of one read. Returns finished(): stop reading.
  bool feed(std::string_view bytes);
  // The peer closed the connection: completes a body that runs to the close, else an error.
  void end_of_stream();

  bool finished() const { return state_ == State::Done || state_ == State::Error; }
  bool ok() const { return state_ == State::Done; }
  const std::string& error() const { return error_; }  // when !ok()
  const HttpStatus& status() const { return status_; }
  // The body (chunked framing removed), at most kMaxHttpBody bytes; `body_capped`: there was
  // more, and it was not read.
  const std::string& body() const { return body_; }
  bool body_capped() const { return capped_; }

 private:
  enum class State : uint8_t {
    Status,
    Headers,
    Body,          // Content-Length or to the close
    ChunkSize,     // chunk-size [; ext] CRLF
    ChunkData,     // chunk-data
    ChunkDataEnd,  // the CRLF after the data
    Trailers,
    Done,
    Error
  };
  void fail(std::string why);
  void line(std::string_view l);  // one complete line (without its CR LF) of the current state
  void header(std::string_view l);
  void headers_done();
  void take_body(std::string_view& in, uint64_t& remaining, bool counted);

  bool want_body_;
  State state_ = State::Status;
  std::string line_;  // a line being received
  std::size_t header_bytes_ = 0;
  HttpStatus status_;
  bool chunked_ = false, transfer_encoding_ = false, has_length_ = false;
  uint64_t length_ = 0;  // Content-Length, then what is left of it or of the chunk
  std::string body_;
  bool capped_ = false;
  std::string error_;
};

}  // namespace rs::health
