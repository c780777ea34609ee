package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.LoggingEvent;
import org.junit.jupiter.api.Test;

class SyslogLineLayoutTest {

  private static String line(Level level, String message) {
    LoggingEvent event = new LoggingEvent();
    event.setLevel(level);
    event.setMessage(message);
    event.setTimeStamp(1_700_000_000_000L);
    return new SyslogLineLayout("host1", 4242).line(event);
  }

  @Test
  void aSyslogStyleLineWithTheLevelPaddedToFive() {
    String info = line(Level.INFO, "open alice from 10.0.0.1");
    String error = line(Level.ERROR, "cannot write");

    assertEquals("2023-11-14T22:13:20Z host1 loginwarden[4242]: INFO  open alice from "
        + "10.0.0.1\n", info);
    assertTrue(error.endsWith(" loginwarden[4242]: ERROR cannot write\n"), error);
  }

  @Test
  void controlCharactersCannotStartAForgedLine() {
    String l = line(Level.WARN, "user x\n2023-11-14T22:13:21Z host1 loginwarden[1]: INFO  "
        + "unlock\r\u007f");

    assertEquals(1, l.lines().count(), l);
    assertTrue(l.endsWith("user x?2023-11-14T22:13:21Z host1 loginwarden[1]: INFO  unlock??\n"),
        l);
  }
}
