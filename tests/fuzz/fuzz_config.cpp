// libFuzzer target for the config language: any bytes go through the lexer, the config parser,
// the filter library and the reconfigure diff. Includes are disabled (no file system access).
// Findings are crashes, sanitizer reports, or a config that loads but fails to diff against itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conf/parser.hpp"
#include "conf/reconfigure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rs::conf::LoadOptions options;
  options.lex.allow_include = false;
  rs::conf::LoadResult r = rs::conf::load_string(text, "fuzz.conf", options);
  for (const auto& d : r.diagnostics.items()) {
    // Every diagnostic has a location inside the input.
    if (d.location.line == 0 || d.location.col == 0) std::abort();
  }
  if (r.ok()) {
    rs::conf::ReconfigPlan plan = rs::conf::diff(r.config, r.config);
    if (plan.changes_anything()) std::abort();
  }
  return 0;
}
