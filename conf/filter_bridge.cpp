// The bridge between the config parser and the filter library. Until filters/ has a parser entry
// point, this pass only reports the filter-language constructs rsd will not support (RPKI:
// `roa_check`, ROA_* constants' function), so the rest of a config loads; the captured token ranges
// are kept in the Config for the filter library to compile.
#include "conf/parser_impl.hpp"

namespace rs::conf::detail {

namespace {

void scan_unsupported(const FilterSource& src, Diagnostics& diags) {
  for (const Token& t : src.tokens.span()) {
    if (t.is_keyword("roa_check") || t.is_keyword("aspa_check")) {
      diags.error(t.loc, "'" + t.text + "' (RPKI) is not supported by rsd");
    }
  }
}

}  // namespace

void validate_filter_sources(Config& config, Diagnostics& diags) {
  for (const FilterDecl& f : config.filters) scan_unsupported(f.source, diags);
  for (const BgpProtocol& p : config.bgp) {
    for (const BgpChannel& ch : p.channels) {
      scan_unsupported(ch.settings.import_filter.source, diags);
      scan_unsupported(ch.settings.export_filter.source, diags);
    }
  }
}

}  // namespace rs::conf::detail
