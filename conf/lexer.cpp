// Tokenizer of the configuration language. Design: each file is scanned into a local token list by
// a byte scanner (no regex, no exceptions), then include statements are expanded into the shared
// output vector; the final vector ends with one End token carrying the end-of-file location.
// IPv6 literals follow BIRD's lexical rule (a hex/colon run with `::` or at least three colons), so
// pairs, case labels and `65000:1`-ish text stay numbers and colons.
#include "conf/lexer.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace rs::conf {

std::string_view to_string(TokenKind kind) {
  switch (kind) {
    case TokenKind::End:
      return "end of file";
    case TokenKind::Invalid:
      return "invalid token";
    case TokenKind::Symbol:
      return "symbol";
    case TokenKind::Number:
      return "number";
    case TokenKind::String:
      return "string";
    case TokenKind::Ipv4:
      return "IPv4 address";
    case TokenKind::Ipv6:
      return "IPv6 address";
    case TokenKind::Prefix:
      return "prefix";
    case TokenKind::LBrace:
      return "'{'";
    case TokenKind::RBrace:
      return "'}'";
    case TokenKind::LParen:
      return "'('";
    case TokenKind::RParen:
      return "')'";
    case TokenKind::LBracket:
      return "'['";
    case TokenKind::RBracket:
      return "']'";
    case TokenKind::Semicolon:
      return "';'";
    case TokenKind::Comma:
      return "','";
    case TokenKind::Colon:
      return "':'";
    case TokenKind::Dot:
      return "'.'";
    case TokenKind::DotDot:
      return "'..'";
    case TokenKind::Plus:
      return "'+'";
    case TokenKind::Minus:
      return "'-'";
    case TokenKind::Star:
      return "'*'";
    case TokenKind::Slash:
      return "'/'";
    case TokenKind::Percent:
      return "'%'";
    case TokenKind::Lt:
      return "'<'";
    case TokenKind::Gt:
      return "'>'";
    case TokenKind::Le:
      return "'<='";
    case TokenKind::Ge:
      return "'>='";
    case TokenKind::Assign:
      return "'='";
    case TokenKind::Eq:
      return "'=='";
    case TokenKind::Ne:
      return "'!='";
    case TokenKind::Not:
      return "'!'";
    case TokenKind::Tilde:
      return "'~'";
    case TokenKind::NotTilde:
      return "'!~'";
    case TokenKind::And:
      return "'&&'";
    case TokenKind::Or:
      return "'||'";
    case TokenKind::Arrow:
      return "'->'";
    case TokenKind::Question:
      return "'?'";
    case TokenKind::PathMaskOpen:
      return "'[='";
    case TokenKind::PathMaskClose:
      return "'=]'";
  }
  return "token";
}

std::string Token::describe() const {
  switch (kind) {
    case TokenKind::End:
      return "end of file";
    case TokenKind::String:
      return "string \"" + text + "\"";
    case TokenKind::Symbol:
    case TokenKind::Number:
    case TokenKind::Ipv4:
    case TokenKind::Ipv6:
    case TokenKind::Prefix:
    case TokenKind::Invalid:
      return "'" + text + "'";
    default:
      return std::string(to_string(kind));
  }
}

// ---------------------------------------------------------------------------------------------
// TokenStream

TokenStream::TokenStream(TokenRange range) : range_(std::move(range)), pos_(range_.begin) {
  end_token_.kind = TokenKind::End;
  if (range_.tokens && range_.end < range_.tokens->size()) {
    end_token_.loc = (*range_.tokens)[range_.end].loc;
  } else if (range_.tokens && !range_.tokens->empty()) {
    end_token_.loc = range_.tokens->back().loc;
  }
}

const Token& TokenStream::peek(std::size_t n) const {
  if (n >= range_.end - std::min(pos_, range_.end)) return end_token_;
  return (*range_.tokens)[pos_ + n];
}

const Token& TokenStream::next() {
  const Token& t = peek(0);
  if (pos_ < range_.end) ++pos_;
  return t;
}

const Token& TokenStream::previous() const {
  if (pos_ > range_.begin && pos_ - 1 < range_.end) return (*range_.tokens)[pos_ - 1];
  return peek(0);
}

bool TokenStream::accept(TokenKind k) {
  if (peek().kind != k) return false;
  next();
  return true;
}

bool TokenStream::accept_keyword(std::string_view kw) {
  if (!peek().is_keyword(kw)) return false;
  next();
  return true;
}

void TokenStream::reset(std::size_t pos) {
  pos_ = std::clamp(pos, range_.begin, range_.end);
}

TokenRange TokenStream::slice(std::size_t begin, std::size_t end) const {
  begin = std::clamp(begin, range_.begin, range_.end);
  end = std::clamp(end, begin, range_.end);
  return TokenRange{range_.tokens, begin, end};
}

// ---------------------------------------------------------------------------------------------
// Scanner

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string(1, c);
  static const char* hex = "0123456789abcdef";
  return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

class Scanner {
 public:
  Scanner(std::string_view text, std::shared_ptr<const std::string> file, Diagnostics& diags)
      : s_(text), file_(std::move(file)), diags_(diags) {}

  // Scans everything; returns the tokens and sets eof_loc.
  TokenVector run(Location& eof_loc) {
    TokenVector out;
    for (;;) {
      skip_blanks_and_comments();
      if (i_ >= s_.size()) break;
      out.push_back(scan_one());
    }
    eof_loc = here();
    return out;
  }

 private:
  Location here() const { return Location{file_, line_, col_}; }
  char at(std::size_t k) const { return k < s_.size() ? s_[k] : '\0'; }
  void advance(std::size_t n = 1) {
    for (std::size_t k = 0; k < n && i_ < s_.size(); ++k, ++i_) {
      if (s_[i_] == '\n') {
        ++line_;
        col_ = 1;
      } else {
        ++col_;
      }
    }
  }

  void skip_blanks_and_comments() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (is_space(c)) {
        advance();
      } else if (c == '#') {
        while (i_ < s_.size() && s_[i_] != '\n') advance();
      } else if (c == '/' && at(i_ + 1) == '*') {
        Location start = here();
        advance(2);
        bool closed = false;
        while (i_ < s_.size()) {
          if (s_[i_] == '*' && at(i_ + 1) == '/') {
            advance(2);
            closed = true;
            break;
          }
          advance();
        }
        if (!closed) diags_.error(start, "unterminated comment '/*'");
      } else {
        break;
      }
    }
  }

  Token make(TokenKind k, std::size_t len, Location loc) {
    Token t;
    t.kind = k;
    t.loc = std::move(loc);
    t.text = std::string(s_.substr(i_, len));
    advance(len);
    return t;
  }

  Token invalid(std::size_t len, Location loc, std::string message) {
    diags_.error(loc, std::move(message));
    return make(TokenKind::Invalid, len, std::move(loc));
  }

  Token scan_one() {
    Location loc = here();
    char c = s_[i_];
    char d = at(i_ + 1);

    if (is_hex(c) || (c == ':' && d == ':')) {
      if (auto t = try_ipv6(loc)) return std::move(*t);
    }
    if (is_digit(c)) {
      if (auto t = try_ipv4(loc)) return std::move(*t);
      return scan_number(loc);
    }
    if (is_alpha(c)) {
      std::size_t j = i_;
      while (j < s_.size() && is_alnum(s_[j])) ++j;
      return make(TokenKind::Symbol, j - i_, loc);
    }
    if (c == '\'') return scan_quoted_symbol(loc);
    if (c == '"') return scan_string(loc);

    switch (c) {
      case '.':
        return d == '.' ? make(TokenKind::DotDot, 2, loc) : make(TokenKind::Dot, 1, loc);
      case '!':
        if (d == '=') return make(TokenKind::Ne, 2, loc);
        if (d == '~') return make(TokenKind::NotTilde, 2, loc);
        return make(TokenKind::Not, 1, loc);
      case '<':
        return d == '=' ? make(TokenKind::Le, 2, loc) : make(TokenKind::Lt, 1, loc);
      case '>':
        return d == '=' ? make(TokenKind::Ge, 2, loc) : make(TokenKind::Gt, 1, loc);
      case '=':
        if (d == '=') return make(TokenKind::Eq, 2, loc);
        if (d == ']') return make(TokenKind::PathMaskClose, 2, loc);
        return make(TokenKind::Assign, 1, loc);
      case '[':
        return d == '=' ? make(TokenKind::PathMaskOpen, 2, loc) : make(TokenKind::LBracket, 1, loc);
      case '&':
        if (d == '&') return make(TokenKind::And, 2, loc);
        return invalid(1, loc, "unexpected character '&' (did you mean '&&'?)");
      case '|':
        if (d == '|') return make(TokenKind::Or, 2, loc);
        return invalid(1, loc, "unexpected character '|' (did you mean '||'?)");
      case '-':
        return d == '>' ? make(TokenKind::Arrow, 2, loc) : make(TokenKind::Minus, 1, loc);
      case '{':
        return make(TokenKind::LBrace, 1, loc);
      case '}':
        return make(TokenKind::RBrace, 1, loc);
      case '(':
        return make(TokenKind::LParen, 1, loc);
      case ')':
        return make(TokenKind::RParen, 1, loc);
      case ']':
        return make(TokenKind::RBracket, 1, loc);
      case ';':
        return make(TokenKind::Semicolon, 1, loc);
      case ',':
        return make(TokenKind::Comma, 1, loc);
      case ':':
        return make(TokenKind::Colon, 1, loc);
      case '+':
        return make(TokenKind::Plus, 1, loc);
      case '*':
        return make(TokenKind::Star, 1, loc);
      case '/':
        return make(TokenKind::Slash, 1, loc);
      case '%':
        return make(TokenKind::Percent, 1, loc);
      case '~':
        return make(TokenKind::Tilde, 1, loc);
      case '?':
        return make(TokenKind::Question, 1, loc);
      default:
        break;
    }
    return invalid(1, loc, "unexpected character '" + printable(c) + "'");
  }

  // After an address of `len` characters: a directly attached `/N` makes it a prefix.
  Token finish_address(TokenKind kind, std::size_t len, const rib::IpAddress& ip, Location loc) {
    std::size_t j = i_ + len;
    if (at(j) == '/' && is_digit(at(j + 1))) {
      std::size_t k = j + 1;
      uint64_t n = 0;
      while (k < s_.size() && is_digit(s_[k])) {
        if (n < 1000) n = n * 10 + static_cast<uint64_t>(s_[k] - '0');
        ++k;
      }
      std::size_t total = k - i_;
      if (n > rib::max_length(ip.family())) {
        return invalid(total, loc,
                       "invalid prefix length " + std::to_string(n) + " in '" +
                           std::string(s_.substr(i_, total)) + "' (at most " +
                           std::to_string(rib::max_length(ip.family())) + ")");
      }
      Token t = make(TokenKind::Prefix, total, loc);
      t.ip = ip;
      t.prefix_len = static_cast<uint8_t>(n);
      return t;
    }
    Token t = make(kind, len, loc);
    t.ip = ip;
    return t;
  }

  std::optional<Token> try_ipv6(const Location& loc) {
    std::size_t j = i_;
    while (j < s_.size() && (is_hex(s_[j]) || s_[j] == ':')) ++j;
    std::string_view cand = s_.substr(i_, j - i_);
    std::size_t colons = static_cast<std::size_t>(std::count(cand.begin(), cand.end(), ':'));
    bool has_double = cand.find("::") != std::string_view::npos;
    if (!has_double && colons < 3) return std::nullopt;
    // An embedded dotted quad: ::ffff:1.2.3.4
    if (at(j) == '.' && is_digit(at(j + 1))) {
      std::size_t k = j;
      int dots = 0;
      while (k < s_.size() &&
             (is_digit(s_[k]) || (s_[k] == '.' && dots < 3 && is_digit(at(k + 1))))) {
        if (s_[k] == '.') ++dots;
        ++k;
      }
      if (dots == 3) j = k;
    }
    // `2001:db8::1:` as a case label: the trailing single colon is not part of the address.
    if (j - i_ >= 2 && s_[j - 1] == ':' && s_[j - 2] != ':') --j;
    cand = s_.substr(i_, j - i_);
    auto ip = rib::IpAddress::parse(cand);
    if (!ip || !ip->is_v6()) {
      return invalid(j - i_, loc, "invalid IPv6 address '" + std::string(cand) + "'");
    }
    return finish_address(TokenKind::Ipv6, j - i_, *ip, loc);
  }

  std::optional<Token> try_ipv4(const Location& loc) {
    std::size_t j = i_;
    for (int group = 0; group < 4; ++group) {
      std::size_t start = j;
      while (j < s_.size() && is_digit(s_[j])) ++j;
      if (j == start) return std::nullopt;
      if (group < 3) {
        if (at(j) != '.' || !is_digit(at(j + 1))) return std::nullopt;
        ++j;
      }
    }
    std::string_view cand = s_.substr(i_, j - i_);
    auto ip = rib::IpAddress::parse(cand);
    if (!ip || !ip->is_v4()) {
      return invalid(j - i_, loc, "invalid IPv4 address '" + std::string(cand) + "'");
    }
    return finish_address(TokenKind::Ipv4, j - i_, *ip, loc);
  }

  Token scan_number(const Location& loc) {
    std::size_t j = i_;
    uint64_t value = 0;
    bool overflow = false;
    if (s_[j] == '0' && (at(j + 1) == 'x' || at(j + 1) == 'X')) {
      j += 2;
      std::size_t start = j;
      while (j < s_.size() && is_hex(s_[j])) {
        char c = s_[j];
        uint64_t v = is_digit(c) ? uint64_t(c - '0') : uint64_t((c | 0x20) - 'a' + 10);
        if (value > (UINT64_MAX >> 4)) overflow = true;
        value = (value << 4) | v;
        ++j;
      }
      if (j == start)
        return invalid(j - i_, loc,
                       "invalid hexadecimal number '" + std::string(s_.substr(i_, j - i_)) + "'");
    } else {
      while (j < s_.size() && is_digit(s_[j])) {
        uint64_t v = uint64_t(s_[j] - '0');
        if (value > (UINT64_MAX - v) / 10) overflow = true;
        value = value * 10 + v;
        ++j;
      }
    }
    if (overflow) {
      return invalid(j - i_, loc,
                     "number '" + std::string(s_.substr(i_, j - i_)) + "' is too large");
    }
    Token t = make(TokenKind::Number, j - i_, loc);
    t.number = value;
    return t;
  }

  Token scan_quoted_symbol(const Location& loc) {
    std::size_t j = i_ + 1;
    while (j < s_.size() && (is_alnum(s_[j]) || s_[j] == '-' || s_[j] == '.' || s_[j] == ':')) ++j;
    if (at(j) != '\'') {
      return invalid(
          j - i_, loc,
          "unterminated quoted symbol (allowed inside '...': letters, digits, '_', '-', '.', ':')");
    }
    if (j == i_ + 1) return invalid(2, loc, "empty quoted symbol ''");
    Token t = make(TokenKind::Symbol, j + 1 - i_, loc);
    t.text = t.text.substr(1, t.text.size() - 2);
    t.quoted = true;
    return t;
  }

  Token scan_string(const Location& loc) {
    std::string value;
    std::size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != '"') {
      if (s_[j] == '\\' && j + 1 < s_.size()) {
        char e = s_[j + 1];
        switch (e) {
          case 'n':
            value += '\n';
            break;
          case 't':
            value += '\t';
            break;
          case 'r':
            value += '\r';
            break;
          default:
            value += e;
            break;
        }
        j += 2;
      } else {
        value += s_[j++];
      }
    }
    if (j >= s_.size()) return invalid(s_.size() - i_, loc, "unterminated string");
    Token t = make(TokenKind::String, j + 1 - i_, loc);
    t.text = std::move(value);
    return t;
  }

  std::string_view s_;
  std::shared_ptr<const std::string> file_;
  Diagnostics& diags_;
  std::size_t i_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
};

bool has_glob_chars(std::string_view p) {
  return p.find_first_of("*?[") != std::string_view::npos;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return path.substr(0, slash + 1);
}

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

// Reads a regular file; on failure returns false and a reason.
bool read_file(const std::string& path, std::string& out, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

class Tokenizer {
 public:
  Tokenizer(Diagnostics& diags, const LexOptions& options) : diags_(diags), options_(options) {}

  // Lexes `text` (named `name`) and appends its tokens with includes expanded.
  void lex_text(std::string_view text, const std::string& name, int depth, Location& eof) {
    auto file = std::make_shared<const std::string>(name);
    Scanner scanner(text, file, diags_);
    TokenVector local = scanner.run(eof);
    for (std::size_t k = 0; k < local.size(); ++k) {
      Token& t = local[k];
      if (!t.is_keyword("include")) {
        out_.push_back(std::move(t));
        continue;
      }
      if (k + 1 >= local.size() || local[k + 1].kind != TokenKind::String) {
        if (k + 1 >= local.size() || local[k + 1].kind != TokenKind::Invalid)
          diags_.error(k + 1 < local.size() ? local[k + 1].loc : eof,
                       "expected a file name string after 'include'");
        ++k;
        continue;
      }
      const Token& pattern = local[k + 1];
      if (k + 2 >= local.size() || local[k + 2].kind != TokenKind::Semicolon) {
        diags_.error(k + 2 < local.size() ? local[k + 2].loc : eof,
                     "expected ';' after 'include \"" + pattern.text + "\"'");
        k += 1;
        continue;
      }
      include(pattern, name, depth);
      k += 2;
    }
  }

  bool lex_file(const std::string& path, int depth, const Location* site, Location& eof) {
    std::string text, why;
    if (!read_file(path, text, why)) {
      Location loc = site ? *site : Location{std::make_shared<const std::string>(path), 1, 1};
      diags_.error(loc, "cannot open '" + path + "': " + why);
      return false;
    }
    std::string canon = canonical(path);
    stack_.push_back(canon);
    lex_text(text, path, depth, eof);
    stack_.pop_back();
    return true;
  }

  TokenVector take() { return std::move(out_); }
  std::vector<std::string>& stack() { return stack_; }

 private:
  void include(const Token& pattern, const std::string& including, int depth) {
    if (!options_.allow_include) {
      diags_.error(pattern.loc, "'include' is not allowed here");
      return;
    }
    if (depth + 1 >= options_.max_include_depth) {
      diags_.error(pattern.loc, "include depth limit (" +
                                    std::to_string(options_.max_include_depth) +
                                    ") exceeded by 'include \"" + pattern.text + "\"'");
      return;
    }
    if (pattern.text.empty()) {
      diags_.error(pattern.loc, "empty file name in 'include'");
      return;
    }
    std::string full = pattern.text[0] == '/' ? pattern.text : dir_of(including) + pattern.text;
    std::vector<std::string> files;
    glob_t g{};
    int rc = ::glob(full.c_str(), GLOB_ERR, nullptr, &g);
    if (rc == 0) {
      for (std::size_t k = 0; k < g.gl_pathc; ++k) files.emplace_back(g.gl_pathv[k]);
    }
    ::globfree(&g);
    if (rc == GLOB_ABORTED) {
      // A directory the pattern must read is missing or unreadable: BIRD refuses this too (a
      // wildcard matching nothing in a readable directory is fine).
      diags_.error(pattern.loc, "cannot match include pattern '" + full +
                                    "': no such directory or not readable");
      return;
    }
    if (files.empty()) {
      if (!has_glob_chars(pattern.text)) {
        diags_.error(pattern.loc,
                     "cannot open include file '" + full + "': No such file or directory");
      }
      return;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string canon = canonical(f);
      if (std::find(stack_.begin(), stack_.end(), canon) != stack_.end()) {
        diags_.error(pattern.loc, "include cycle: '" + f + "' is already being read");
        continue;
      }
      Location eof;
      lex_file(f, depth + 1, &pattern.loc, eof);
    }
  }

  Diagnostics& diags_;
  const LexOptions& options_;
  TokenVector out_;
  std::vector<std::string> stack_;
};

TokenStream finish(TokenVector tokens, const Location& eof) {
  Token end;
  end.kind = TokenKind::End;
  end.loc = eof;
  tokens.push_back(std::move(end));
  auto shared = std::make_shared<const TokenVector>(std::move(tokens));
  std::size_t n = shared->size() - 1;
  return TokenStream(TokenRange{std::move(shared), 0, n});
}

}  // namespace

TokenStream tokenize_file(const std::string& path, Diagnostics& diags, const LexOptions& options) {
  Tokenizer tz(diags, options);
  Location eof{std::make_shared<const std::string>(path), 1, 1};
  tz.lex_file(path, 0, nullptr, eof);
  return finish(tz.take(), eof);
}

TokenStream tokenize_string(std::string_view text, const std::string& name, Diagnostics& diags,
                            const LexOptions& options) {
  Tokenizer tz(diags, options);
  Location eof;
  tz.lex_text(text, name, 0, eof);
  return finish(tz.take(), eof);
}

}  // namespace rs::conf
