package org.loginwarden.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.loginwarden.app.DecisionLog;
import org.loginwarden.audit.AppendOnlyFile;

/**
 * The hook's decision lines, appended to {@code log_file} in the very format and by the very
 * write the slf4j side uses ({@link SyslogLineLayout}, {@link AppendOnlyFile}), without
 * starting slf4j or logback. Nowhere to write (no log_file, a write error) drops the line: the
 * audit trail is the record.
 */
final class LogFileLines implements DecisionLog {

  private final Path file;
  private final SyslogLineLayout layout;
  private final Clock clock;

  LogFileLines(Path file, SyslogLineLayout layout, Clock clock) {
    this.file = file;
    this.layout = layout;
    this.clock = clock;
  }

  @Override
  public void write(boolean error, String line) {
    if (file == null) {
      return;
    }
    try {
      AppendOnlyFile.append(file, layout.line(error ? "ERROR" : "INFO", clock.millis(), line)
          .getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // as LogFileAppender: the log is a convenience
    }
  }
}
