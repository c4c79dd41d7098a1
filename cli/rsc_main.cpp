// rsc: command-line client for rsd's control socket (BIRD's reply-code protocol, so it also talks
// to BIRD). One-shot (`rsc show route for 203.0.113.10`) or interactive (libedit: line editing,
// history in ~/.rsc_history, tab completion of commands, protocol, table and filter names).
// -v prints the raw reply codes; --json asks the daemon for JSON replies (`json on`) and prints
// each document indented. Exit codes: 0 ok, 1 the command failed (8xxx / 9xxx reply, or the
// connection broke), 2 cannot connect.
#include <editline/readline.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/rsc_client.hpp"
#include "rs/version.hpp"

namespace po = boost::program_options;
using namespace rs::cli;

namespace {

struct Settings {
  bool verbose = false;
  bool json = false;
};

// The JSON document of a reply in JSON mode: the texts of its 1040 lines, joined with newlines.
std::optional<nlohmann::ordered_json> json_document(const Reply& r) {
  std::string text;
  for (const auto& l : r.lines)
    if (l.code == code::kJson) text += l.text + "\n";
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(text, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

// Runs one command and prints its reply; returns the exit code.
int run_command(Client& c, const std::string& line, const Settings& s) {
  const bool json = s.json && !s.verbose;
  auto print = [&](const ReplyLine& l, const std::string& raw) {
    if (json) return;
    if (s.verbose) {
      std::cout << raw << "\n";
      return;
    }
    if (l.last && l.code == 0 && l.text.empty()) return;  // "0000 "
    std::cout << l.text << "\n";
  };
  auto reply = c.run(line, print, json);
  if (!reply) {
    std::cerr << "rsc: connection closed by the daemon\n";
    return 1;
  }
  if (json) {
    auto doc = json_document(*reply);
    if (!doc) {
      std::cerr << "rsc: the daemon's reply is not a JSON document\n";
      return 1;
    }
    std::cout << doc->dump(2) << "\n";
  }
  std::cout.flush();
  return reply->ok() ? 0 : 1;
}

// birdc's `?`: when the line has one (outside quotes), prints the commands that fit the words
// before it, one a line (syntax, then what it does), and returns true; the line is not sent.
bool context_help_asked(const std::string& line, int& rc) {
  const std::size_t mark = help_mark(line);
  if (mark == std::string::npos) return false;
  const auto fits = context_help(std::string_view(line).substr(0, mark));
  if (fits.empty()) {
    std::cerr << "rsc: no command fits '" << line.substr(0, mark) << "'\n";
    rc = 1;
    return true;
  }
  for (const CommandSpec* spec : fits) {
    std::string syntax(spec->syntax);
    if (syntax.size() < 38) syntax.resize(38, ' ');
    std::cout << syntax << "  " << spec->help << "\n";
  }
  rc = 0;
  return true;
}

// Where the command starts in argv: rsc's options come first, and the first word that is not an
// option (or follows `--`) begins the command, so `rsc show history since -10m` passes `-10m` on.
int command_start(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") return i;
    if (a.size() < 2 || a[0] != '-') return i;
    // Options that take a value in the next word.
    if (a == "-s" || a == "--socket") ++i;
  }
  return argc;
}

// ---- interactive mode ------------------------------------------------------------------------

Client* g_client = nullptr;
bool g_json = false;  // the connection is in JSON mode
std::vector<std::string> g_matches;

std::vector<std::string> names_of(NameKind kind) {
  std::vector<std::string> out;
  if (!g_client || kind == NameKind::None) return out;
  std::string cmd = kind == NameKind::Protocol ? "show protocols"
                    : kind == NameKind::Table  ? "show symbols table"
                    : kind == NameKind::Filter ? "show symbols filter"
                                               : "show symbols";
  auto r = g_client->run(cmd);
  if (!r) return out;
  if (g_json) {
    auto doc = json_document(*r);
    if (!doc) return out;
    for (const char* key : {"protocols", "symbols"})
      if (doc->contains(key))
        for (const auto& e : (*doc)[key]) out.push_back(e.value("name", std::string()));
    return out;
  }
  for (const auto& l : r->lines) {
    if (l.code == 1002) out.push_back(l.text.substr(0, l.text.find(' ')));
    if (l.code == 1010) {
      std::string n = l.text.substr(0, l.text.find('\t'));
      while (!n.empty() && n.back() == ' ') n.pop_back();
      out.push_back(n);
    }
  }
  return out;
}

char* match_generator(const char* text, int state) {
  static std::size_t idx;
  if (state == 0) idx = 0;
  (void)text;
  if (idx < g_matches.size()) return strdup(g_matches[idx++].c_str());
  return nullptr;
}

char** rsc_completion(const char* text, int start, int) {
  rl_attempted_completion_over = 1;
  std::string before(rl_line_buffer, static_cast<std::size_t>(start));
  Completion comp = complete(before + text);
  g_matches = comp.keywords;
  for (const auto& n : names_of(comp.names))
    if (n.rfind(comp.partial, 0) == 0) g_matches.push_back(n);
  std::set<std::string> uniq(g_matches.begin(), g_matches.end());
  g_matches.assign(uniq.begin(), uniq.end());
  if (g_matches.empty()) return nullptr;
  return rl_completion_matches(text, match_generator);
}

std::string history_path() {
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + "/.rsc_history" : std::string();
}

int interactive(Client& c, const Settings& s) {
  g_client = &c;
  rl_readline_name = const_cast<char*>("rsc");
  rl_attempted_completion_function = rsc_completion;
  const std::string hist = history_path();
  using_history();
  if (!hist.empty()) read_history(hist.c_str());
  std::cout << c.welcome() << "\n";
  int rc = 0;
  while (true) {
    char* raw = readline("rsc> ");
    if (!raw) {
      std::cout << "\n";
      break;
    }
    std::string line(raw);
    free(raw);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    add_history(line.c_str());
    std::string word = line.substr(first, line.find_first_of(" \t", first) - first);
    if (word == "quit" || word == "exit") break;
    if (context_help_asked(line, rc)) continue;
    if (word == "help" || word == "?") {
      for (const auto& spec : commands())
        std::cout << "  " << spec.syntax << "\n      " << spec.help << "\n";
      continue;
    }
    rc = run_command(c, line, s);
    if (rc == 1 && !c.run("echo off")) {
      std::cerr << "rsc: the daemon closed the connection\n";
      break;
    }
  }
  if (!hist.empty()) write_history(hist.c_str());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description desc("Usage: rsc [options] [command ...]\n\nOptions");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("version,V", "print the version and exit")
    ("socket,s", po::value<std::string>()->default_value("/run/rsd/rsd.ctl"), "control socket path")
    ("restricted,r", "restricted mode: show commands only")
    ("verbose,v", "print raw reply codes")
    ("json", "JSON replies (the daemon's JSON mode, `json on`)");
  // clang-format on
  po::variables_map vm;
  const int start = command_start(argc, argv);
  std::vector<std::string> words(argv + start, argv + argc);
  if (!words.empty() && words.front() == "--") words.erase(words.begin());
  try {
    po::store(po::command_line_parser(start, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "rsc: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "rsc " << rs::kVersion << ": control client for rsd\n\n" << desc << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::cout << "rsc " << rs::kVersion << "\n";
    return 0;
  }
  // A one-shot command: `?` help needs no daemon.
  std::string line;
  for (const auto& w : words) {
    if (!line.empty()) line += ' ';
    // A word with blanks was quoted on the shell command line: keep it one word.
    line += w.find_first_of(" \t") != std::string::npos && w.front() != '"' ? "\"" + w + "\"" : w;
  }
  if (int rc = 0; context_help_asked(line, rc)) return rc;
  Settings s;
  s.verbose = vm.count("verbose") > 0;
  s.json = vm.count("json") > 0;
  const std::string socket = vm["socket"].as<std::string>();
  Client c;
  if (!c.connect(socket)) {
    std::cerr << "rsc: " << c.error() << "\n";
    return 2;
  }
  if (vm.count("restricted")) {
    auto r = c.run("restrict");
    if (!r || r->final_code != code::kAccessRestricted) {
      std::cerr << "rsc: the daemon refused restricted mode\n";
      return 2;
    }
  }
  if (s.json) {
    auto r = c.run("json on");
    if (!r || r->final_code != code::kOk) {
      std::cerr << "rsc: the daemon does not answer in JSON (`json on` refused)\n";
      return 2;
    }
    g_json = true;
  }
  if (!line.empty()) return run_command(c, line, s);
  if (!isatty(STDIN_FILENO)) {
    // Commands from a pipe, one per line; the exit code of the last failing one.
    int rc = 0;
    std::string in;
    while (std::getline(std::cin, in)) {
      if (in.find_first_not_of(" \t") == std::string::npos) continue;
      int help_rc = 0;
      if (context_help_asked(in, help_rc) ? help_rc != 0 : run_command(c, in, s) != 0) rc = 1;
    }
    return rc;
  }
  return interactive(c, s);
}
