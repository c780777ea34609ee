package org.loginwarden.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Path;
import org.loginwarden.proc.ProcfsProcessTable;
import org.slf4j.Logger;

/** The human log: one syslog-style line per decision, appended to {@code log_file}. */
final class Logging {

  private Logging() {}

  private static Path pendingFile;
  private static String pendingHost;

  /**
   * Sends log lines to {@code file}; without a usable file, lines are dropped. If slf4j has not
   * started, nothing starts it here: the file is attached when something first logs (the
   * provider calls {@link #started}), so a run that logs nothing through slf4j, like a hook
   * call on a good day, never starts it.
   */
  static synchronized void toFile(Path file, String host) {
    if (file == null) {
      return;
    }
    LoggerContext ctx = QuietLogbackProvider.startedContext();
    if (ctx == null) {
      pendingFile = file;
      pendingHost = host;
    } else {
      attach(ctx, file, host);
    }
  }

  /** Called by the provider once slf4j has started it. */
  static synchronized void started(LoggerContext ctx) {
    if (pendingFile != null) {
      attach(ctx, pendingFile, pendingHost);
      pendingFile = null;
    }
  }

  private static void attach(LoggerContext ctx, Path file, String host) {
    LogFileAppender appender = new LogFileAppender(file,
        new SyslogLineLayout(host, ProcfsProcessTable.pidOfSelf()));
    appender.setContext(ctx);
    appender.setName("file");
    appender.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    root.setLevel(Level.INFO);
  }
}
