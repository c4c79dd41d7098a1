// History queries (see query.hpp). Design: one SELECT built from fixed fragments, every value
// bound (no text from the command line ever reaches the SQL), newest rows first in SQL so LIMIT
// keeps the latest, reversed for display. Time parsing is hand-written over the two documented
// forms; local time goes through mktime (DST resolved by the C library).
#include "rs/history/query.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace rs::history {

namespace {
struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};
std::string col(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

std::string lower_trim(std::string_view t) {
  std::string s;
  for (char c : t) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

// Seconds per unit for "10 min", "-10m", ...; 0 when unknown.
int64_t unit_seconds(std::string_view u) {
  static const std::pair<const char*, int64_t> units[] = {
      {"s", 1},        {"sec", 1},     {"secs", 1},      {"second", 1},    {"seconds", 1},
      {"m", 60},       {"min", 60},    {"mins", 60},     {"minute", 60},   {"minutes", 60},
      {"h", 3600},     {"hour", 3600}, {"hours", 3600},  {"d", 86400},     {"day", 86400},
      {"days", 86400}, {"w", 604800},  {"week", 604800}, {"weeks", 604800}};
  for (const auto& [n, s] : units)
    if (u == n) return s;
  return 0;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}
}  // namespace

std::optional<int64_t> parse_time(std::string_view text, int64_t now_us, std::string& error,
                                  int64_t* span_us) {
  const std::string s = lower_trim(text);
  int64_t span_local = 0;
  int64_t& span = span_us ? *span_us : span_local;
  span = 0;
  if (s == "now") return now_us;
  // Relative: "-10m" / "-10 min" or "10 min ago".
  {
    std::string r = s;
    bool rel = false;
    if (!r.empty() && r[0] == '-') rel = true, r = lower_trim(r.substr(1));
    if (r.size() > 4 && r.compare(r.size() - 4, 4, " ago") == 0)
      rel = true, r = lower_trim(r.substr(0, r.size() - 4));
    if (rel) {
      std::size_t i = 0;
      int64_t n = 0;
      while (i < r.size() && std::isdigit(static_cast<unsigned char>(r[i])) && n < 100000000)
        n = n * 10 + (r[i++] - '0');
      if (i == 0) return error = "'" + std::string(text) + "': expected a number", std::nullopt;
      const int64_t u = unit_seconds(lower_trim(r.substr(i)));
      if (!u)
        return error = "'" + std::string(text) + "': unknown unit (s, min, h, d, w)", std::nullopt;
      // Further back than any history (and than int64 microseconds) is an error, not an
      // overflow.
      constexpr int64_t kMaxSeconds = 100'000'000'000;  // about 3,000 years
      if (n > kMaxSeconds / u)
        return error = "'" + std::string(text) + "': too far back", std::nullopt;
      return now_us - n * u * 1000000;
    }
  }
  // ISO-8601: YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]
  std::tm tm{};
  int y, mo, d, h = 0, mi = 0, sec = 0;
  int64_t frac_us = 0;
  bool utc = false;
  std::string t = s;
  if (!t.empty() && t.back() == 'z') utc = true, t.pop_back();
  if (!(digits(t, 0, 4, y) && t.size() >= 10 && t[4] == '-' && digits(t, 5, 2, mo) && t[7] == '-' &&
        digits(t, 8, 2, d)))
    return error = "'" + std::string(text) +
                   "': expected YYYY-MM-DD [HH:MM[:SS]] or a relative time (10 min ago, -10m)",
           std::nullopt;
  std::size_t p = 10;
  span = 86400ll * 1000000 - 1;
  if (p < t.size()) {
    span = 60ll * 1000000 - 1;
    if (t[p] != ' ' && t[p] != 't')
      return error = "'" + std::string(text) + "': bad date/time separator", std::nullopt;
    ++p;
    if (!(digits(t, p, 2, h) && p + 2 < t.size() && t[p + 2] == ':' && digits(t, p + 3, 2, mi)))
      return error = "'" + std::string(text) + "': expected HH:MM", std::nullopt;
    p += 5;
    if (p < t.size()) {
      if (t[p] != ':' || !digits(t, p + 1, 2, sec))
        return error = "'" + std::string(text) + "': expected :SS", std::nullopt;
      p += 3;
      span = 1000000 - 1;
      if (p < t.size()) {
        if (t[p] != '.')
          return error = "'" + std::string(text) + "': unexpected '" + t.substr(p) + "'",
                 std::nullopt;
        int64_t scale = 100000;
        span = 0;
        for (++p; p < t.size(); ++p) {
          span = std::max<int64_t>(scale - 1, 0);
          if (!std::isdigit(static_cast<unsigned char>(t[p])))
            return error = "'" + std::string(text) + "': bad fraction", std::nullopt;
          frac_us += (t[p] - '0') * scale;
          scale /= 10;
        }
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return error = "'" + std::string(text) + "': out of range", std::nullopt;
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi,
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  const std::time_t tt = utc ? timegm(&tm) : std::mktime(&tm);
  if (tt == static_cast<std::time_t>(-1))
    return error = "'" + std::string(text) + "': not a valid time", std::nullopt;
  return static_cast<int64_t>(tt) * 1000000 + frac_us;
}

std::vector<EventView> run_query(const std::string& path, const Query& q, std::string& error) {
  std::vector<EventView> out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    error = path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 200);
  std::string sql =
      "SELECT ts, kind, protocol, health, prefix, message, old_best, new_best, cause, latency_us "
      "FROM events WHERE 1";
  int n = 0;
  std::vector<std::pair<int, std::string>> texts;
  std::vector<std::pair<int, int64_t>> ints;
  if (q.failovers_only) sql += " AND kind = 'failover'";
  if (q.prefix) sql += " AND prefix = ?" + std::to_string(++n), texts.emplace_back(n, *q.prefix);
  if (q.protocol)
    sql += " AND protocol = ?" + std::to_string(++n), texts.emplace_back(n, *q.protocol);
  if (q.health) sql += " AND health = ?" + std::to_string(++n), texts.emplace_back(n, *q.health);
  if (q.since_us) sql += " AND ts >= ?" + std::to_string(++n), ints.emplace_back(n, *q.since_us);
  if (q.until_us) sql += " AND ts <= ?" + std::to_string(++n), ints.emplace_back(n, *q.until_us);
  sql += " ORDER BY ts DESC, id DESC LIMIT ?" + std::to_string(++n);
  ints.emplace_back(n, static_cast<int64_t>(q.limit));
  Stmt st;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    error = path + ": " + sqlite3_errmsg(db);
    sqlite3_finalize(st.s);
    st.s = nullptr;
    sqlite3_close(db);
    return out;
  }
  for (const auto& t : texts)
    sqlite3_bind_text(st.s, t.first, t.second.c_str(), -1, SQLITE_TRANSIENT);
  for (const auto& i : ints) sqlite3_bind_int64(st.s, i.first, i.second);
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    EventView e;
    e.ts_us = sqlite3_column_int64(st.s, 0);
    e.kind = col(st.s, 1), e.protocol = col(st.s, 2), e.health = col(st.s, 3),
    e.prefix = col(st.s, 4);
    e.message = col(st.s, 5), e.old_best = col(st.s, 6), e.new_best = col(st.s, 7),
    e.cause = col(st.s, 8);
    e.latency_us = sqlite3_column_type(st.s, 9) == SQLITE_NULL ? -1 : sqlite3_column_int64(st.s, 9);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) error = path + ": " + sqlite3_errmsg(db);
  sqlite3_finalize(st.s);
  st.s = nullptr;
  sqlite3_close(db);
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace rs::history
