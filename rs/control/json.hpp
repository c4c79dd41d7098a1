// JSON replies of the control socket. A connection that sent `json on` gets every reply as one
// JSON document carried by 1040 lines (their texts joined with newlines), then the reply's last
// line: "0000 " when the command succeeded, its error code and text (8xxx, 9xxx) when it failed.
// Show commands build their document from the same rows as their text layout; every other reply
// goes into the generic envelope {schema, command, messages, ok, code, message}. The layout of
// each document is in docs/cli.md ("JSON output"); `schema` changes when a field changes meaning
// or goes away (new fields may be added).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "cli/reply.hpp"
#include "rs/control/output.hpp"

namespace rs::control {

using Json = nlohmann::ordered_json;  // members keep the order they were written in
inline constexpr int kJsonSchema = 1;

// ISO 8601 in the daemon's local time with milliseconds and the zone's offset:
// "2026-12-06T06:10:07.123+00:00".
std::string iso_time(std::chrono::system_clock::time_point t);
std::string iso_time_us(int64_t unix_us);
// A steady-clock instant in milliseconds (as the health checks keep them) as ISO 8601; null for 0
// (never).
Json iso_steady_ms(uint64_t steady_ms);

// One line of JSON text; invalid UTF-8 (a probe's output, a description) is replaced, not thrown.
std::string dump(const Json& j);

// {"schema": 1, "command": PATH, "ok": true, "code": 0}: the head of a successful show reply.
Json json_head(std::string_view command);

// Writes `doc` as 1040 lines: each top-level member on a line of its own, and each element of a
// top-level array too, so no line grows with the number of protocols or routes. Then "0000 ".
void write_json(cli::ReplyWriter& w, const Json& doc);
std::unique_ptr<Output> json_reply(const Json& doc);

// The generic envelope around a text reply (an action's, or any error): streamed, so a long
// reply (`configure check`) is not held whole.
std::unique_ptr<Output> json_envelope(std::string command, std::unique_ptr<Output> text);

}  // namespace rs::control
