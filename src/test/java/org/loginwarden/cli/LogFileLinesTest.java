package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFileLinesTest {

  @TempDir Path dir;

  @Test
  void theHooksLinesLookLikeTheSlf4jOnesAndAppend() throws Exception {
    Path file = dir.resolve("log/loginwarden.log");
    Clock clock = Clock.fixed(Instant.parse("2026-11-23T01:02:03.456Z"), ZoneOffset.UTC);
    LogFileLines lines = new LogFileLines(file, new SyslogLineLayout("host1", 42), clock);

    lines.write(false, "open alice pid 7 from 192.0.2.1: 1 of 1");
    lines.write(true, "error bob: cannot lock\nforged");

    assertEquals("2026-11-23T01:02:03Z host1 loginwarden[42]: INFO  open alice pid 7 from "
        + "192.0.2.1: 1 of 1\n2026-11-23T01:02:03Z host1 loginwarden[42]: ERROR error bob: "
        + "cannot lock?forged\n", Files.readString(file));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(file)));
  }

  @Test
  void aLogThatCannotBeWrittenDropsTheLineAndNeverFailsTheDecision() throws Exception {
    Files.createDirectories(dir.resolve("a-directory"));
    // Would throw out of the hook's decision if the write error escaped.
    new LogFileLines(dir.resolve("a-directory"), new SyslogLineLayout("h", 1),
        Clock.systemUTC()).write(false, "x");
    new LogFileLines(null, new SyslogLineLayout("h", 1), Clock.systemUTC()).write(true, "x");
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }
}
