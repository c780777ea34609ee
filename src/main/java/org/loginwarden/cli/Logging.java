package org.loginwarden.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The human log: one syslog-style line per decision, appended to {@code log_file}. */
final class Logging {

  private Logging() {}

  /** Sends log lines to {@code file}; without a usable file, lines are dropped. */
  static void toFile(Path file, String host) {
    if (file == null || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    LogFileAppender appender = new LogFileAppender(file,
        new SyslogLineLayout(host, ProcessHandle.current().pid()));
    appender.setContext(ctx);
    appender.setName("file");
    appender.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    root.setLevel(Level.INFO);
  }
}
