package org.loginwarden.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.loginwarden.audit.AppendOnlyFile;

/**
 * The human log's appender: each event one line, appended as the audit log appends its own
 * (one write, no symlink followed). Logback's FileAppender would do the same with a buffered
 * stream, a recovery layer and a dozen status messages set up on every hook call, which the
 * hook, writing one line per run, has no use for.
 */
final class LogFileAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

  private final Path file;
  private final SyslogLineLayout layout;

  LogFileAppender(Path file, SyslogLineLayout layout) {
    this.file = file;
    this.layout = layout;
  }

  @Override
  protected void append(ILoggingEvent event) {
    try {
      AppendOnlyFile.append(file, layout.line(event).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The log is a convenience; the audit trail is the record, and its failures are loud.
    }
  }
}
