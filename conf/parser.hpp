// Loading a configuration: text -> tokens -> typed Config, with every problem reported as a
// Diagnostic (`file:line:col: message`). Never throws, never crashes on any input.
#pragma once

#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "conf/diagnostic.hpp"
#include "conf/lexer.hpp"

namespace rs::conf {

struct LoadOptions {
  LexOptions lex;
};

struct LoadResult {
  Config config;            // complete only when ok()
  Diagnostics diagnostics;  // errors and warnings, sorted by file (main first), line, column
  bool ok() const { return !diagnostics.has_errors(); }
};

[[nodiscard]] LoadResult load_file(const std::string& path, const LoadOptions& options = {});
[[nodiscard]] LoadResult load_string(std::string_view text, const std::string& name = "rsd.conf",
                                     const LoadOptions& options = {});
// Parses an already tokenized stream (used by both of the above).
[[nodiscard]] LoadResult load_tokens(TokenStream tokens, Diagnostics lex_diagnostics);

}  // namespace rs::conf
