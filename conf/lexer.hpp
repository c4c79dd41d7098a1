// The tokenizer of the configuration language (BIRD 2 lexical rules), shared by the config parser
// (conf/) and the filter parser (filters/).
//
// Usage:
//   rs::conf::Diagnostics diags;
//   rs::conf::TokenStream ts = rs::conf::tokenize_file("/etc/rsd/rsd.conf", diags);
//   while (!ts.at_end()) { const Token& t = ts.next(); ... }
//
// The whole input, with every `include "pattern";` expanded in place, is tokenized up front into
// one shared, immutable vector of tokens; a TokenStream is a cursor over it (or over a sub-range of
// it). So lookahead is unbounded (peek(n)), backtracking is `reset(position())`, and a parser can
// keep a TokenRange (e.g. a filter body) after the stream is gone.
//
// Lexical rules:
//  - `#` to end of line and `/* ... */` are comments (not nested). Whitespace separates tokens.
//  - Symbols: [A-Za-z_][A-Za-z0-9_]*, and quoted symbols 'any-chars.:' (kind Symbol, quoted=true;
//    a quoted symbol is never a keyword). The configuration is case sensitive, as BIRD's.
//    Keywords are not a separate kind: a keyword is an unquoted Symbol with that text (is_keyword).
//  - Numbers: decimal or hex `0x1F` (kind Number, value in `number`; overflow past 2^64-1 is an
//    error). A unit after a number (`10 s`, `100 ms`) is a separate Symbol token.
//  - Strings: "..." with escapes \" \\ \n \t \r and \<any>; value (unescaped) in `text`.
//  - IPv4 `1.2.3.4` (kind Ipv4), IPv6 (kind Ipv6): a run of hex digits and colons that contains
//    `::` or at least three colons (optionally ending in a dotted quad), so `65000:1`, `(65000,1)`,
//    `a:b` and case labels `1:` are never addresses. Value in `ip`.
//  - An address immediately followed by `/N` (no blanks) is one Prefix token: `ip` and
//    `prefix_len` (host bits are NOT checked or zeroed by the lexer; lengths above the family's
//    maximum are an error). `10.0.0.0 / 8` with blanks stays Ipv4, Slash, Number.
//  - Operators: `..` `!=` `<=` `>=` `==` `!~` `&&` `||` `->` `[=` `=]` and the single characters
//    `{ } ( ) [ ] ; , : . + - * / % < > = ! ~ ?`. `[=` / `=]` are only produced when the two
//    characters are adjacent (BIRD path masks `[= * 65001 ? =]`).
//  - Anything else is an Invalid token; the lexer has already reported it, so a parser that stops
//    on it should not report a second error (see Token::kind == TokenKind::Invalid).
//  - `include "pattern";` (an unquoted `include` Symbol followed by a String and `;`) is replaced
//  by
//    the tokens of every file matching the glob pattern, in alphabetical order; a relative pattern
//    is relative to the including file's directory. A pattern without wildcards must match a file.
//    Maximum depth 8 (as BIRD); a file including itself (directly or not) is an error.
//    Includes can appear anywhere, as in BIRD. tokenize_string(...,
//    LexOptions{.allow_include=false}) reports any include as an error (used by the fuzzer).
// Errors go to the Diagnostics given; tokenizing never throws and never crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conf/diagnostic.hpp"
#include "rib/prefix.hpp"

namespace rs::conf {

enum class TokenKind : uint8_t {
  End,      // end of input (peek past the end keeps returning it)
  Invalid,  // a character or literal the lexer rejected (already reported)
  Symbol,   // name or keyword; `quoted` set for 'quoted symbols'
  Number,   // `number`
  String,   // `text` holds the unescaped value
  Ipv4,     // `ip`
  Ipv6,     // `ip`
  Prefix,   // `ip` + `prefix_len`
  // Operators
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,  // { } ( ) [ ]
  Semicolon,
  Comma,
  Colon,
  Dot,
  DotDot,  // ; , : . ..
  Plus,
  Minus,
  Star,
  Slash,
  Percent,  // + - * / %
  Lt,
  Gt,
  Le,
  Ge,
  Assign,
  Eq,
  Ne,  // < > <= >= = == !=
  Not,
  Tilde,
  NotTilde,
  And,
  Or,
  Arrow,
  Question,  // ! ~ !~ && || -> ?
  PathMaskOpen,
  PathMaskClose,  // [= =]
};

// Human-readable spelling for messages: "'{'", "symbol", "number", "end of file", ...
std::string_view to_string(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::End;
  bool quoted = false;  // Symbol written as 'name'
  uint8_t prefix_len = 0;
  std::string text;     // symbol name, string value, or the literal's spelling
  uint64_t number = 0;  // Number
  rib::IpAddress ip;    // Ipv4, Ipv6, Prefix
  Location loc;

  bool is(TokenKind k) const { return kind == k; }
  // An unquoted Symbol spelled exactly `kw`.
  bool is_keyword(std::string_view kw) const {
    return kind == TokenKind::Symbol && !quoted && text == kw;
  }
  bool is_address() const { return kind == TokenKind::Ipv4 || kind == TokenKind::Ipv6; }
  // For messages: "'router'", "number 12", "string \"x\"", "'{'", "end of file".
  std::string describe() const;
  // The prefix of a Prefix token (host bits zeroed).
  rib::Prefix prefix() const { return rib::Prefix(ip.masked(prefix_len), prefix_len); }
};

using TokenVector = std::vector<Token>;

// A half-open slice [begin, end) of a shared token vector. Cheap to copy; keeps the tokens alive.
struct TokenRange {
  std::shared_ptr<const TokenVector> tokens;
  std::size_t begin = 0;
  std::size_t end = 0;

  std::size_t size() const { return end - begin; }
  bool empty() const { return begin >= end; }
  std::span<const Token> span() const {
    return tokens ? std::span<const Token>(tokens->data() + begin, end - begin)
                  : std::span<const Token>();
  }
  const Token& operator[](std::size_t i) const { return (*tokens)[begin + i]; }
};

// A cursor over a TokenRange. peek() past the end returns an End token located just after the
// last token of the range.
class TokenStream {
 public:
  TokenStream() : TokenStream(TokenRange{}) {}
  explicit TokenStream(TokenRange range);

  // The token n places ahead of the cursor (0 = the next one). Unbounded lookahead.
  const Token& peek(std::size_t n = 0) const;
  // Returns the next token and advances (never past End).
  const Token& next();
  // The last token returned by next() (the first token if none yet).
  const Token& previous() const;
  bool at_end() const { return pos_ >= range_.end; }

  // If the next token has kind k (resp. is the keyword kw), consume it and return true.
  bool accept(TokenKind k);
  bool accept_keyword(std::string_view kw);
  // Peek helpers.
  bool next_is(TokenKind k, std::size_t n = 0) const { return peek(n).kind == k; }
  bool next_is_keyword(std::string_view kw, std::size_t n = 0) const {
    return peek(n).is_keyword(kw);
  }

  // Absolute position in the shared vector, for reset() and slice().
  std::size_t position() const { return pos_; }
  void reset(std::size_t pos);
  // Tokens [begin, end) of the shared vector as a range (for capturing a body).
  TokenRange slice(std::size_t begin, std::size_t end) const;
  const TokenRange& range() const { return range_; }

 private:
  TokenRange range_;
  std::size_t pos_ = 0;
  Token end_token_;
};

struct LexOptions {
  bool allow_include = true;
  int max_include_depth = 8;
};

// Tokenize a file (and its includes). An unreadable file is one error located at `path:1:1`
// ("cannot open 'path': reason") and an empty stream.
[[nodiscard]] TokenStream tokenize_file(const std::string& path, Diagnostics& diags,
                                        const LexOptions& options = {});
// Tokenize text; `name` is the file name used in locations and the base for relative includes.
[[nodiscard]] TokenStream tokenize_string(std::string_view text, const std::string& name,
                                          Diagnostics& diags, const LexOptions& options = {});

}  // namespace rs::conf
