// Valeo ERP under PM2 (npm ci here installs the pinned pm2 7.0.4): production style, the
// equivalent of ../supervisor/supervisord.conf.
//
// One app, `python -m erp serve --workers N`: uvicorn's own supervising process forks N workers
// and replaces a worker that dies; PM2 restarts the whole server when that process dies. Every
// path, port and secret comes from the environment `pm2 start` runs in (a variable that is not
// set stops it with an error, none has a default):
//
//   VALEO_HOME          the instance folder: the ERP's working directory (its .env is read from
//                       there) and var/ below it — var/log/ (logs), var/metrics/ (the workers'
//                       metrics): create both first, the ERP opens var/metrics as it starts
//   VALEO_PYTHON        the interpreter with the ERP installed (e.g. .venv/bin/python)
//   VALEO_PORT          the ERP's port on 127.0.0.1 (a reverse proxy in front)
//   VALEO_WORKERS       uvicorn workers (e.g. one per core)
//   VALEO_DATABASE_URL  PostgreSQL, migrated beforehand: `python -m erp migrate`
//   VALEO_SECRET_KEY    at least 32 characters (production refuses weaker ones)
//   PM2_HOME            PM2's own folder (daemon, sockets, pid files): keep it inside the
//                       instance, e.g. $VALEO_HOME/var/pm2 — never ~/.pm2
//   PM2_KILL_SIGNAL     SIGTERM (read by the daemon when it starts; see kill_timeout below)
//
//   export PM2_HOME=$VALEO_HOME/var/pm2 PM2_KILL_SIGNAL=SIGTERM
//   npx pm2 start ops/pm2/ecosystem.config.js   (starts the PM2 daemon too)
//   npx pm2 ls / npx pm2 logs erp / npx pm2 reload erp
//   npx pm2 kill                                (stops the ERP and the daemon: always end so)
//
// Every pm2 command, even `pm2 --version`, starts the daemon in PM2_HOME if none runs there.
// PM2 rotates no logs by itself (pm2-logrotate is a PM2 module, or use logrotate's copytruncate).

"use strict";

const path = require("node:path");

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`ecosystem.config.js: ${name} is not set`);
  }
  return value;
}

// Guards: a daemon in ~/.pm2, or one that stops the ERP with SIGINT, is not this set-up.
required("PM2_HOME");
if (required("PM2_KILL_SIGNAL") !== "SIGTERM") {
  throw new Error("ecosystem.config.js: PM2_KILL_SIGNAL must be SIGTERM");
}

const home = path.resolve(required("VALEO_HOME"));
const log = path.join(home, "var", "log", "erp.log");
// SIGTERM: the server stops accepting, lets requests in flight finish for up to this long,
// closes the database pool and exits 0. PM2 waits kill_timeout (longer) before SIGKILL.
const GRACEFUL_TIMEOUT_SECONDS = 20;

module.exports = {
  apps: [
    {
      name: "erp",
      script: required("VALEO_PYTHON"),
      interpreter: "none",
      args: [
        "-m",
        "erp",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        required("VALEO_PORT"),
        "--workers",
        required("VALEO_WORKERS"),
        "--graceful-timeout",
        String(GRACEFUL_TIMEOUT_SECONDS),
      ],
      cwd: home,
      exec_mode: "fork", // uvicorn runs the workers; PM2's cluster mode is for Node apps
      instances: 1,
      // Any exit is restarted, at once. A server that dies within min_uptime of its start is
      // an unstable restart; after max_restarts of those in a row PM2 gives up (errored).
      autorestart: true,
      restart_delay: 0,
      min_uptime: "5s",
      max_restarts: 10,
      // Stop: the signal to the server and its workers (treekill), SIGKILL after kill_timeout.
      // PM2 7 takes the signal from the daemon's PM2_KILL_SIGNAL (default SIGINT, which uvicorn
      // takes for SIGTERM only once: a second SIGINT cancels the requests in flight), not from
      // here: export PM2_KILL_SIGNAL=SIGTERM before the first pm2 command.
      treekill: true,
      kill_timeout: (GRACEFUL_TIMEOUT_SECONDS + 10) * 1000,
      // The ERP logs JSON lines (stderr): both streams into one file, no PM2 prefix.
      out_file: log,
      error_file: log,
      merge_logs: true,
      env: {
        VALEO_ENVIRONMENT: "production",
        VALEO_DATABASE_URL: required("VALEO_DATABASE_URL"),
        VALEO_SECRET_KEY: required("VALEO_SECRET_KEY"),
        PROMETHEUS_MULTIPROC_DIR: path.join(home, "var", "metrics"),
        PYTHONUNBUFFERED: "1",
      },
    },
  ],
};
