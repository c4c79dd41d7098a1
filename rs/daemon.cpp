// Daemon lifecycle. Start: load, detach (the started process waits), bind BGP listeners, control
// sockets and metrics, drop root, start health checks, then say ready (the started process exits
// 0, systemd gets READY=1); anything that cannot be bound ends rsd with a non-zero exit and the
// reason on stderr. A reload that fails to load keeps the running configuration and logs every
// error as file:line:col; a good one is applied softly (RouteServer::reconfigure).
#include "rs/daemon.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

#include "conf/parser.hpp"
#include "rs/control/commands.hpp"
#include "rs/control/control_server.hpp"
#include "rs/control/echo.hpp"
#include "rs/daemon_os.hpp"
#include "rs/health/health_manager.hpp"
#include "rs/health/server_sink.hpp"
#include "rs/history/recorder.hpp"
#include "rs/history/store.hpp"
#include "rs/log/logging.hpp"
#include "rs/metrics/collectors.hpp"
#include "rs/metrics/http_server.hpp"
#include "rs/route_server.hpp"
#include "rs/version.hpp"

namespace rs {

namespace {

// Builds the logger from the `log` statements (rs/log/logging.hpp); stderr when there are none or
// in the foreground; the `echo` sink copies log lines to CLI sessions.
void setup_logging(const conf::Config& cfg, bool foreground) {
  std::string problems = log::configure(cfg, foreground, {control::EchoSink::instance()});
  if (!problems.empty()) spdlog::error("log: {}", problems.substr(0, problems.size() - 1));
}

// A start that fails: the reason goes to the log and, while the starting command still waits
// (detached child before ready()), to its stderr.
int start_failed(const std::string& why, bool to_stderr) {
  spdlog::error("{}", why);
  if (to_stderr) std::cerr << "rsd: " << why << "\n";
  os::sd_notify("STATUS=" + why + "\nERRNO=1");
  return 1;
}

// Files rsd opens before dropping root and must still write, rotate or reopen afterwards.
std::vector<std::string> files_to_give(const conf::Config& c,
                                       const std::optional<std::string>& pidfile) {
  std::vector<std::string> out;
  if (c.history)
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      out.push_back(c.history->path + suffix);
  for (const auto& l : c.logs)
    if (l.kind == conf::LogTarget::Kind::File) {
      out.push_back(l.path);
      if (!l.backup.empty()) out.push_back(l.backup);
    }
  if (pidfile) out.push_back(*pidfile);
  return out;
}

bool write_pidfile(const std::string& path) {
  std::ofstream f(path, std::ios::trunc);
  if (!f) return false;
  f << getpid() << "\n";
  return static_cast<bool>(f);
}

// Service nodes drained or in maintenance before a restart stay so (docs/health.md). Applied
// before the event loop runs, so no session imports a path before; a drain that was in progress
// resumes as finished, as a healthcheck's does.
void restore_nodes(const health::HealthManager& health, RouteServer& server) {
  std::string err;
  for (const auto& r : health.stored_nodes(err)) {
    if (r.kind == "maintenance") {
      server.node_maintenance(r.name, true);
    } else if (r.kind == "drain") {
      std::optional<NodeDrain> d = NodeDrain::parse(r.value);
      if (!d) {
        spdlog::error("health state file: node {}: bad drain '{}'", r.name, r.value);
        continue;
      }
      d->over_ms = 0;
      server.drain_node(r.name, *d);
    } else {
      continue;
    }
    spdlog::info("node {} restored to {} (since {})", r.name, r.kind, r.since);
  }
  if (!err.empty()) spdlog::error("health state file: {}", err);
}

}  // namespace

int run_daemon(const DaemonOptions& o) {
  // Absolute, for `configure` and SIGHUP: daemon(3) changes the working directory to /.
  std::error_code abs_ec;
  std::string config_path = std::filesystem::absolute(o.config_path, abs_ec).string();
  if (abs_ec) config_path = o.config_path;
  conf::LoadResult loaded = conf::load_file(o.config_path);
  if (!loaded.ok()) {
    std::cerr << loaded.diagnostics.to_string();
    std::cerr << "rsd: " << o.config_path << ": " << loaded.diagnostics.error_count()
              << " error(s)\n";
    return 1;
  }
  if (loaded.diagnostics.warning_count()) std::cerr << loaded.diagnostics.to_string();
  auto config = std::make_shared<const conf::Config>(std::move(loaded.config));
  std::optional<os::Credentials> credentials;
  if (!o.user.empty() || !o.group.empty()) {
    credentials.emplace();
    if (std::string err = os::resolve_credentials(o.user, o.group, *credentials); !err.empty()) {
      std::cerr << "rsd: " << err << "\n";
      return 1;
    }
  }

  // Detach first, while rsd has no threads (fork keeps only the calling one); the started process
  // waits for ready() and exits with the start's outcome.
  os::Detacher detacher;
  if (!o.foreground)
    if (std::string err = detacher.detach(); !err.empty()) {
      std::cerr << "rsd: " << err << "\n";
      return 1;
    }
  const bool to_stderr = !o.foreground;  // in the foreground the log is stderr already
  setup_logging(*config, o.foreground);
  if (o.pidfile && !write_pidfile(*o.pidfile))
    return start_failed("cannot write pid file " + *o.pidfile, to_stderr);
  std::signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context io;
  RouteServer server(io, config);
  // History (docs/history.md): its own writer thread; errors come back to the event loop to be
  // logged. A database that cannot be written degrades history only.
  std::unique_ptr<history::Store> history_store;
  std::unique_ptr<history::Recorder> recorder;
  if (config->history) {
    history::StoreOptions so;
    so.path = config->history->path;
    so.keep = std::chrono::microseconds(config->history->keep.us);
    so.max_size = config->history->max_size;
    so.log = [&io](const std::string& m) { boost::asio::post(io, [m] { spdlog::warn("{}", m); }); };
    // An empty file is an empty SQLite database: made here for the user of `-u`, the writer
    // thread does not create it as root while the privileges are being dropped.
    if (credentials) os::prepare_file(so.path, *credentials);
    history_store = std::make_unique<history::Store>(std::move(so));
    history_store->start();
    recorder = std::make_unique<history::Recorder>(*history_store);
    server.set_event_sink(recorder.get());
  }
  if (std::string err = server.start(); !err.empty()) return start_failed(err, to_stderr);

  // Health ingestion: processes and checks feed local sources; the first export waits until
  // every check and process reported or `startup hold` passed. Reconfiguration (SIGHUP or
  // `configure`) reaches it through the route server's hook.
  health::RouteServerSink health_sink(server);
  health::HealthManager health(io, *config, health_sink);
  if (!config->healthchecks.empty() || !config->processes.empty()) server.hold_initial_export(true);
  if (recorder) health.set_event_sink(recorder.get());
  server.set_export_observer([&health, &recorder](const std::string& peer) {
    health.on_export(peer);
    if (recorder) recorder->on_export(peer);
  });
  std::function<void(const conf::Config&)> reconfigure_metrics;
  server.set_reconfigure_hook([&health, &o, &reconfigure_metrics](const conf::Config& c) {
    setup_logging(c, o.foreground);  // new `log` statements apply at once
    if (std::string problems = health.reconfigure(c); !problems.empty())
      spdlog::warn("health: {}", problems);
    if (reconfigure_metrics) reconfigure_metrics(c);
  });
  log::Ticker log_ticker(io);  // summaries of suppressed repeats go out when their window ends

  boost::asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
  boost::asio::signal_set reopen(io, SIGUSR1);
  boost::asio::steady_timer exit_timer(io);
  bool stopping = false;
  std::vector<std::unique_ptr<control::ControlServer>> controls;
  std::function<void()> stop_metrics;
  // graceful: no Cease; the sessions just close, so peers that negotiated graceful restart keep
  // our routes while we are away (RFC 4724 4.2, BIRD's `graceful restart` command).
  auto stop_daemon = [&](std::string_view why, bool graceful = false) {
    if (stopping) return;
    stopping = true;
    os::sd_notify("STOPPING=1");
    spdlog::info("{}: shutting down", why);
    for (auto& c : controls) c->stop();  // the socket files go now
    if (stop_metrics) stop_metrics();
    health.stop();
    if (!graceful) server.shutdown("rsd shutting down");
    // Give the Cease NOTIFICATIONs a moment to leave, then stop.
    exit_timer.expires_after(std::chrono::milliseconds(300));
    exit_timer.async_wait([&](const boost::system::error_code&) { io.stop(); });
  };

  // Control sockets: -s, else `control socket`, else the default; plus every `cli "PATH"`.
  control::ControlContext ctx{io, server, config_path, config};
  ctx.health = &health;
  ctx.events = recorder.get();
  ctx.history = history_store.get();
  ctx.shutdown = [&](bool graceful) {
    stop_daemon(graceful ? "graceful restart ordered" : "shutdown ordered", graceful);
  };
  control::Commands commands(ctx);
  {
    std::vector<control::SocketOptions> sockets;
    control::SocketOptions main_socket;
    main_socket.path = !o.socket_path.empty()   ? o.socket_path
                       : config->control_socket ? *config->control_socket
                                                : std::string("/run/rsd/rsd.ctl");
    if (config->control_options.mode) main_socket.mode = *config->control_options.mode;
    main_socket.group = config->control_options.group;
    sockets.push_back(main_socket);
    for (const auto& c : config->cli_sockets) {
      control::SocketOptions so;
      so.path = c.path;
      so.restricted = c.restrict;
      if (c.mode) so.mode = *c.mode;
      so.group = c.group;
      sockets.push_back(so);
    }
    for (auto& so : sockets) {
      auto cs = std::make_unique<control::ControlServer>(io, commands, so);
      if (std::string err = cs->start(); !err.empty()) {
        for (auto& c : controls) c->stop();
        server.shutdown("rsd could not start");
        return start_failed("control: " + err, to_stderr);
      }
      controls.push_back(std::move(cs));
    }
  }

  // Metrics endpoint (`metrics { listen ...; }`): collectors read the live objects at scrape time.
  metrics::MetricsRegistry metrics_registry;
  metrics::add_rsd_collectors(metrics_registry, server, &health);
  if (history_store)
    metrics_registry.add_collector("history", [&history_store](metrics::MetricsWriter& w) {
      metrics::collect_history(history_store->stats(), w);
    });
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  auto start_metrics = [&](const conf::MetricsConfig& m) -> std::string {
    metrics::HttpOptions mo;
    mo.address = m.listen;
    mo.port = m.port;
    metrics_server = std::make_unique<metrics::MetricsServer>(io, metrics_registry, mo);
    std::string err = metrics_server->start();
    if (!err.empty()) metrics_server.reset();
    return err;
  };
  if (config->metrics) {
    if (std::string err = start_metrics(*config->metrics); !err.empty()) {
      for (auto& c : controls) c->stop();
      server.shutdown("rsd could not start");
      return start_failed("metrics: " + err, to_stderr);
    }
  }

  // Everything that needs root is bound: become the user (`-u`, `-g`) before any health-check
  // program or process is started, so that those run unprivileged too.
  if (credentials) {
    os::give_files(files_to_give(*config, o.pidfile), *credentials);
    if (std::string err = os::drop_privileges(*credentials); !err.empty()) {
      for (auto& c : controls) c->stop();
      server.shutdown("rsd could not start");
      return start_failed("cannot drop privileges: " + err, to_stderr);
    }
  }
  if (std::string problems = health.start([&server] { server.hold_initial_export(false); });
      !problems.empty())
    spdlog::warn("health: {}", problems);
  restore_nodes(health, server);
  spdlog::info("rsd {} started with {}", kVersion, o.config_path);
  detacher.ready();
  os::sd_notify("READY=1\nMAINPID=" + std::to_string(getpid()) + "\nSTATUS=running");
  stop_metrics = [&] {
    if (metrics_server) metrics_server->stop();
  };
  // A reload that changes or removes the block rebinds; a failed bind leaves the endpoint off.
  std::optional<conf::MetricsConfig> metrics_config = config->metrics;
  reconfigure_metrics = [&](const conf::Config& c) {
    auto same = [](const std::optional<conf::MetricsConfig>& a,
                   const std::optional<conf::MetricsConfig>& b) {
      return a.has_value() == b.has_value() &&
             (!a || (a->listen == b->listen && a->port == b->port));
    };
    if (same(metrics_config, c.metrics)) return;
    metrics_config = c.metrics;
    metrics_server.reset();
    if (!c.metrics) {
      spdlog::info("metrics: endpoint closed");
      return;
    }
    if (std::string err = start_metrics(*c.metrics); !err.empty())
      spdlog::error("metrics: {}", err);
  };

  std::function<void()> wait_signal;
  wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        log::reopen();  // logrotate may send SIGHUP as well as SIGUSR1
        spdlog::info("SIGHUP: reloading {}", o.config_path);
        os::sd_notify("RELOADING=1");
        // The same path as `configure`: a file with errors keeps the running configuration.
        cli::ReplyWriter w;
        auto out = commands.configure("", std::nullopt);
        out->next(w, SIZE_MAX);
        spdlog::info("SIGHUP: {}", w.text().substr(w.text().rfind('\n', w.text().size() - 2) + 1));
        os::sd_notify("READY=1");
        if (recorder) {
          events::OperatorEvent e;
          e.command = "configure (SIGHUP)";
          e.result = w.text().substr(w.text().rfind('\n', w.text().size() - 2) + 1);
          while (!e.result.empty() && e.result.back() == '\n') e.result.pop_back();
          e.user = "signal";
          e.socket = "SIGHUP";
          recorder->operator_command(e);
        }
        wait_signal();
        return;
      }
      stop_daemon("signal " + std::to_string(sig));
    });
  };
  wait_signal();
  std::function<void()> wait_reopen;
  wait_reopen = [&] {
    reopen.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      log::reopen();
      spdlog::info("SIGUSR1: log files reopened");
      wait_reopen();
    });
  };
  wait_reopen();

  io.run();
  // The recorder goes before the server and the health manager: no event may reach it after.
  server.set_event_sink(nullptr);
  health.set_event_sink(nullptr);
  if (o.pidfile) unlink(o.pidfile->c_str());
  spdlog::info("rsd stopped");
  return 0;
}

}  // namespace rs
