package org.loginwarden.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.Instant;
import org.loginwarden.core.IsoInstants;

/**
 * {@code 2026-11-23T00:45:01Z host1 loginwarden[4242]: INFO  open alice ...}: a syslog-style
 * line, written by hand because logback's PatternLayout builds its whole converter table (about
 * 60 lambdas) on every hook call. Times are UTC, as in the audit log: unambiguous across hosts
 * and clock changes, and free of the time-zone database, whose loading alone cost a hook call
 * more than its decision. Control characters in a message become '?', so no value can start a
 * forged line.
 */
final class SyslogLineLayout {

  private final String prefix;

  SyslogLineLayout(String host, long pid) {
    this.prefix = " " + clean(host) + " loginwarden[" + pid + "]: ";
  }

  String line(ILoggingEvent event) {
    return line(event.getLevel().toString(), event.getTimeStamp(), event.getFormattedMessage());
  }

  String line(String level, long epochMillis, String message) {
    StringBuilder line = new StringBuilder(128)
        .append(IsoInstants.format(Instant.ofEpochSecond(epochMillis / 1000)))
        .append(prefix).append(level);
    for (int i = level.length(); i < 6; i++) {
      line.append(' ');
    }
    return line.append(clean(message)).append('\n').toString();
  }

  static String clean(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        if (out == null) {
          out = new StringBuilder(text);
        }
        out.setCharAt(i, '?');
      }
    }
    return out == null ? text : out.toString();
  }
}
