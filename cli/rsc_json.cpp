// Text-to-JSON for rsc (see rsc_json.hpp). Every show command has its own object; any other
// command gives the generic envelope {command, code, ok, messages}.
#include "cli/rsc_json.hpp"

#include <algorithm>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace rs::cli {

using nlohmann::json;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

std::string key_of(std::string s) {
  s = trim(s);
  if (!s.empty() && s.back() == ':') s.pop_back();
  std::string k;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!k.empty() && k.back() != '_')
      k += '_';
  }
  while (!k.empty() && k.back() == '_') k.pop_back();
  return k;
}

json number_or_text(const std::string& v) {
  if (!v.empty() && v.size() < 19 && v.find_first_not_of("0123456789") == std::string::npos)
    return json(std::stoull(v));
  return json(v);
}

json show_route(const Reply& r) {
  json routes = json::array(), counts = json::array(), total = nullptr;
  std::string table, prefix;
  json* cur = nullptr;
  for (const auto& l : r.lines) {
    const std::string& t = l.text;
    if (l.code == 1007) {
      unsigned long long a, b, c;
      char tb[128];
      if (t.rfind("Table ", 0) == 0 && !t.empty() && t.back() == ':') {
        table = t.substr(6, t.size() - 7);
        continue;
      }
      if (std::sscanf(t.c_str(), "%llu of %llu routes for %llu networks in table %127s", &a, &b, &c,
                      tb) == 4) {
        counts.push_back({{"table", tb}, {"shown", a}, {"routes", b}, {"networks", c}});
        continue;
      }
      if (t.rfind("\tvia ", 0) == 0) {
        if (cur) (*cur)["next_hop"] = t.substr(5);
        continue;
      }
      if (trim(t).empty()) continue;
      // "PREFIX               unicast [PROTO TIME from X] * (PREF) [ASni]"
      std::string head = t.size() > 20 ? t.substr(0, 20) : t;
      if (!trim(head).empty()) prefix = trim(head);
      const auto lb = t.find('['), rb = t.find(']');
      if (lb == std::string::npos || rb == std::string::npos || rb < lb) continue;
      json route = {{"table", table},
                    {"prefix", prefix},
                    {"protocol", nullptr},
                    {"since", nullptr},
                    {"from", nullptr},
                    {"best", false},
                    {"preference", nullptr},
                    {"origin_as", nullptr},
                    {"origin", nullptr},
                    {"next_hop", nullptr},
                    {"type", nullptr},
                    {"decision", nullptr},
                    {"attributes", json::object()}};
      route["kind"] = trim(t.substr(20, lb - 20));
      std::string inside = t.substr(lb + 1, rb - lb - 1);
      std::size_t sp = inside.find(' ');
      route["protocol"] = inside.substr(0, sp);
      if (sp != std::string::npos) {
        std::string rest = inside.substr(sp + 1);
        std::size_t from = rest.find(" from ");
        route["since"] = rest.substr(0, from);
        if (from != std::string::npos) route["from"] = rest.substr(from + 6);
      }
      std::string tail = t.substr(rb + 1);
      route["best"] = tail.rfind(" *", 0) == 0;
      if (auto p = tail.find('('); p != std::string::npos)
        route["preference"] = std::stoul(tail.substr(p + 1));
      if (auto p = tail.find("[AS"); p != std::string::npos) {
        std::string as = tail.substr(p + 3, tail.find(']', p) - p - 3);
        if (!as.empty()) {
          route["origin"] = std::string(1, as.back());
          as.pop_back();
          if (!as.empty()) route["origin_as"] = std::stoul(as);
        }
      } else if (auto q = tail.rfind(" ["); q != std::string::npos && tail.size() >= q + 4) {
        route["origin"] = tail.substr(q + 2, 1);
      }
      routes.push_back(std::move(route));
      cur = &routes.back();
    } else if (l.code == 1008 && cur) {
      std::string s = trim(t);
      if (s.rfind("Type: ", 0) == 0)
        (*cur)["type"] = s.substr(6);
      else if (s.rfind("Decision: ", 0) == 0)
        (*cur)["decision"] = s.substr(10);
    } else if (l.code == 1012 && cur) {
      std::string s = trim(t);
      auto c = s.find(':');
      if (c == std::string::npos) continue;
      std::string name = s.substr(0, c);
      if (name.rfind("BGP.", 0) == 0) name = name.substr(4);
      (*cur)["attributes"][name] = trim(s.substr(c + 1));
    } else if (l.code == 14) {
      unsigned long long a, b, c, n;
      if (std::sscanf(t.c_str(), "Total: %llu of %llu routes for %llu networks in %llu tables", &a,
                      &b, &c, &n) == 4)
        total = {{"shown", a}, {"routes", b}, {"networks", c}, {"tables", n}};
    }
  }
  return {{"routes", routes}, {"counts", counts}, {"total", total}};
}

json show_protocols(const Reply& r) {
  json protocols = json::array();
  json* cur = nullptr;
  json* channel = nullptr;
  for (const auto& l : r.lines) {
    const std::string& t = l.text;
    if (l.code == 1002) {
      // Columns by blanks: a name longer than its column pushes the rest right, and Since is one
      // word, or two with `timeformat protocol iso long` (date and time, as the Prometheus BIRD
      // exporter needs), which overflows its 12-character column.
      std::vector<std::string> words;
      std::size_t pos = 0;
      while (words.size() < 6) {
        while (pos < t.size() && t[pos] == ' ') ++pos;
        if (pos >= t.size()) break;
        std::size_t e = t.find(' ', pos);
        if (e == std::string::npos) e = t.size();
        words.push_back(t.substr(pos, e - pos));
        pos = e;
        // A date followed by a time is one Since value.
        const std::string& w = words.back();
        if (words.size() == 5 && w.size() == 10 && w[4] == '-' && w[7] == '-' &&
            pos + 3 < t.size() && std::isdigit(static_cast<unsigned char>(t[pos + 1])) &&
            t[pos + 3] == ':') {
          std::size_t e2 = t.find(' ', pos + 1);
          if (e2 == std::string::npos) e2 = t.size();
          words.back() = t.substr(pos - 10, e2 - (pos - 10));
          pos = e2;
        }
        if (words.size() == 5) break;
      }
      words.resize(5);
      json p = {{"name", words[0]},          {"proto", words[1]},
                {"table", words[2]},         {"state", words[3]},
                {"since", words[4]},         {"info", trim(t.substr(std::min(pos, t.size())))},
                {"details", json::object()}, {"channels", json::array()}};
      protocols.push_back(std::move(p));
      cur = &protocols.back();
      channel = nullptr;
    } else if (l.code == 1006 && cur) {
      std::string s = trim(t);
      if (s.empty()) continue;
      if (s.rfind("Channel ", 0) == 0) {
        (*cur)["channels"].push_back({{"name", s.substr(8)}});
        channel = &(*cur)["channels"].back();
        continue;
      }
      auto c = s.find(':');
      if (c == std::string::npos) continue;
      std::string k = key_of(s.substr(0, c));
      std::string v = trim(s.substr(c + 1));
      json& target = channel ? *channel : (*cur)["details"];
      if (k == "route_change_stats") continue;
      if (k == "import_updates" || k == "import_withdraws" || k == "export_updates" ||
          k == "export_withdraws") {
        json cols = json::object();
        const char* names[] = {"received", "rejected", "filtered", "ignored", "accepted"};
        std::size_t i = 0, pos = 0;
        while (i < 5 && pos < v.size()) {
          while (pos < v.size() && v[pos] == ' ') ++pos;
          std::size_t e = v.find(' ', pos);
          std::string f = v.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
          cols[names[i++]] = f == "---" ? json(nullptr) : number_or_text(f);
          pos = e == std::string::npos ? v.size() : e;
        }
        target[k] = cols;
        continue;
      }
      target[k] = number_or_text(v);
    }
  }
  return {{"protocols", protocols}};
}

json show_status(const Reply& r) {
  json o = {{"version", nullptr},     {"router_id", nullptr},   {"hostname", nullptr},
            {"server_time", nullptr}, {"last_reboot", nullptr}, {"last_reconfiguration", nullptr},
            {"status", nullptr}};
  for (const auto& l : r.lines) {
    const std::string& t = l.text;
    auto after = [&](const char* p) -> std::optional<std::string> {
      std::string s(p);
      if (t.rfind(s, 0) == 0) return t.substr(s.size());
      return std::nullopt;
    };
    if (l.code == 1000)
      o["version"] = t;
    else if (auto v = after("Router ID is "))
      o["router_id"] = *v;
    else if (auto v = after("Hostname is "))
      o["hostname"] = *v;
    else if (auto v = after("Current server time is "))
      o["server_time"] = *v;
    else if (auto v = after("Last reboot on "))
      o["last_reboot"] = *v;
    else if (auto v = after("Last reconfiguration on "))
      o["last_reconfiguration"] = *v;
    else if (l.code == 13)
      o["status"] = t;
  }
  return o;
}

json show_symbols(const Reply& r) {
  json s = json::array();
  for (const auto& l : r.lines) {
    if (l.code != 1010) continue;
    auto tab = l.text.find('\t');
    if (tab == std::string::npos) continue;
    s.push_back({{"name", trim(l.text.substr(0, tab))}, {"kind", trim(l.text.substr(tab + 1))}});
  }
  return {{"symbols", s}};
}

json show_memory(const Reply& r) {
  json m = json::object();
  for (const auto& l : r.lines) {
    if (l.code != 1018) continue;
    auto c = l.text.find(':');
    if (c == std::string::npos) continue;
    m[key_of(l.text.substr(0, c))] = trim(l.text.substr(c + 1));
  }
  return {{"memory", m}};
}

// `show health`: a header line "NAME:" (or "process NAME:") starts an object; each "\tKey: value"
// line is a field; Probe, Route and Failover repeat and become arrays.
json show_health(const Reply& r) {
  json checks = json::array(), procs = json::array();
  json* cur = nullptr;
  bool cur_proc = false;
  for (const auto& l : r.lines) {
    if (l.code != 1031 || l.text.empty()) continue;
    if (l.text[0] != '\t') {
      std::string name = l.text;
      if (!name.empty() && name.back() == ':') name.pop_back();
      bool proc = name.rfind("process ", 0) == 0;
      json& arr = proc ? procs : checks;
      arr.push_back({{"name", proc ? name.substr(8) : name}});
      // A process's "Routes: N" is its count: its "Route" lines go to route_list.
      arr.back().update(
          {{proc ? "route_list" : "routes", json::array()}, {"failovers", json::array()}});
      if (!proc) arr.back()["probes"] = json::array();
      cur = &arr.back();
      cur_proc = proc;
      continue;
    }
    if (!cur) continue;
    auto c = l.text.find(": ");
    if (c == std::string::npos) continue;
    std::string k = key_of(l.text.substr(0, c));
    std::string v = l.text.substr(c + 2);
    if (k == "route" && cur_proc)
      (*cur)["route_list"].push_back(v);
    else if (k == "probe" || k == "route" || k == "failover")
      (*cur)[k + "s"].push_back(v);
    else if (!v.empty() &&
             std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      (*cur)[k] = std::stoull(v);
    else
      (*cur)[k] = v;
  }
  return {{"health", checks}, {"processes", procs}};
}

// `show services`: a prefix line, then one line per path with tab-separated columns
// (source, next hop, MED in effect, MED received, state, decision).
json show_services(const Reply& r) {
  json svcs = json::array();
  for (const auto& l : r.lines) {
    if (l.code != 1032 || l.text.empty()) continue;
    if (l.text[0] != '\t') {
      svcs.push_back({{"prefix", l.text}, {"paths", json::array()}});
      continue;
    }
    if (svcs.empty()) continue;
    std::vector<std::string> col;
    std::size_t pos = 1;
    while (true) {
      auto t = l.text.find('\t', pos);
      col.push_back(l.text.substr(pos, t == std::string::npos ? std::string::npos : t - pos));
      if (t == std::string::npos) break;
      pos = t + 1;
    }
    if (col.size() != 6 || col[0] == "-") continue;
    json p = {{"source", col[0]},
              {"next_hop", col[1]},
              {"med", nullptr},
              {"med_received", nullptr},
              {"health", nullptr},
              {"decision", col[5]},
              {"best", col[5].rfind("best", 0) == 0}};
    if (col[2] != "-") p["med"] = std::stoul(col[2]);
    if (col[3] != "-") p["med_received"] = std::stoul(col[3]);
    if (col[4] != "-") p["health"] = col[4];
    svcs.back()["paths"].push_back(p);
  }
  return {{"services", svcs}};
}

std::vector<std::string> tab_columns(const std::string& t) {
  std::vector<std::string> col;
  std::size_t pos = 0;
  while (true) {
    auto e = t.find('\t', pos);
    col.push_back(t.substr(pos, e == std::string::npos ? std::string::npos : e - pos));
    if (e == std::string::npos) break;
    pos = e + 1;
  }
  return col;
}
json dash_null(const std::string& s) {
  return s == "-" ? json(nullptr) : json(s);
}

// `show history`: TIME, KIND, SUBJECT, EVENT separated by tabs (code 1033).
json show_history(const Reply& r) {
  json ev = json::array();
  for (const auto& l : r.lines) {
    if (l.code != 1033) continue;
    auto c = tab_columns(l.text);
    if (c.size() != 4) continue;
    ev.push_back({{"time", c[0]}, {"kind", c[1]}, {"subject", dash_null(c[2])}, {"event", c[3]}});
  }
  return {{"events", ev}};
}

// `show failovers`: TIME, PREFIX, OLD, NEW, "N.NNN ms" or -, CAUSE (code 1034).
json show_failovers(const Reply& r) {
  json fo = json::array();
  for (const auto& l : r.lines) {
    if (l.code != 1034) continue;
    auto c = tab_columns(l.text);
    if (c.size() != 6) continue;
    json lat = nullptr;
    if (c[4] != "-") lat = std::strtod(c[4].c_str(), nullptr);
    fo.push_back({{"time", c[0]},
                  {"prefix", c[1]},
                  {"old_best", dash_null(c[2])},
                  {"new_best", dash_null(c[3])},
                  {"latency_ms", lat},
                  {"cause", dash_null(c[5])}});
  }
  return {{"failovers", fo}};
}

}  // namespace

json reply_to_json(const std::string& path, const std::string& command, const Reply& r) {
  json out = {{"command", command}, {"code", r.final_code}, {"ok", r.ok()}};
  if (!r.ok()) {
    out["error"] = r.lines.empty() ? std::string() : r.lines.back().text;
    return out;
  }
  if (path == "show route")
    out.update(show_route(r));
  else if (path == "show protocols")
    out.update(show_protocols(r));
  else if (path == "show status")
    out.update(show_status(r));
  else if (path == "show symbols")
    out.update(show_symbols(r));
  else if (path == "show memory")
    out.update(show_memory(r));
  else if (path == "show health")
    out.update(show_health(r));
  else if (path == "show services")
    out.update(show_services(r));
  else if (path == "show history")
    out.update(show_history(r));
  else if (path == "show failovers")
    out.update(show_failovers(r));
  else {
    json msgs = json::array();
    for (const auto& l : r.lines)
      if (!l.text.empty()) msgs.push_back({{"code", l.code}, {"text", l.text}});
    out["messages"] = msgs;
  }
  return out;
}

}  // namespace rs::cli
