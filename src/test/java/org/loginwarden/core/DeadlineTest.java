package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeadlineTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  private static Instant ago(String d) {
    return NOW.minus(Durations.parse(d));
  }

  private static Session openedAgo(String age) {
    return new Session(1, 10, 101, "sshd", "192.0.2.1", 50000, "ssh", "publickey", null,
        ago(age), null);
  }

  private static SessionLimits limits(String max, String idle) {
    return new SessionLimits(Durations.parse(max), Durations.parse(idle), Durations.parse("1m"),
        false);
  }

  @ParameterizedTest(name = "opened {0} ago, used {1} ago, max {2}, idle {3}: {5} in {4}s")
  @CsvSource(delimiter = '|', value = {
      // opened | used | max | idle | seconds from NOW | limit
      "1h       | 5m   | 8h  | 0    | 25200            | max_session_time",
      "1h       | 5m   | 0   | 15m  | 600              | idle_timeout",
      "1h       | 5m   | 8h  | 15m  | 600              | idle_timeout",
      "7h55m    | 1m   | 8h  | 15m  | 300              | max_session_time",
      "7h47m    | 1m   | 8h  | 15m  | 780              | max_session_time",
      "9h       | 30m  | 8h  | 15m  | -3600            | max_session_time",
      "9h       | 2h   | 8h  | 15m  | -6300            | idle_timeout",
      "1h       | 5m   | 65m | 15m  | 300              | max_session_time",
  })
  void theEarlierLimitComesFirst(String opened, String used, String max, String idle,
      long seconds, String limit) {
    Deadline d = Deadline.of(session(opened), ago(used), limits(max, idle));

    assertEquals(new Deadline(NOW.plusSeconds(seconds), limit), d);
  }

  /** "7h55m" as seconds: config durations have one unit, tables read better with two. */
  private static Session session(String age) {
    long seconds = 0;
    for (String part : age.split("(?<=[hms])")) {
      seconds += Durations.parse(part).toSeconds();
    }
    return openedAgo(seconds + "s");
  }

  @Test
  void noLimitNoDeadline() {
    assertNull(Deadline.of(openedAgo("30d"), ago("29d"), limits("0", "0")));
    assertNull(Deadline.of(openedAgo("1h"), ago("1h"), SessionLimits.NONE));
  }

  @Test
  void onATieTheMaximumIsNamed() {
    // Both end at NOW + 10m: the limit no activity can move is the one to name.
    Deadline d = Deadline.of(openedAgo("50m"), ago("5m"), limits("1h", "15m"));

    assertEquals(new Deadline(NOW.plusSeconds(600), "max_session_time"), d);
  }

  @ParameterizedTest(name = "{0} ago, limit {1} of max {2}: {3}")
  @CsvSource(delimiter = '|', value = {
      "14m   | idle_timeout     | 8h   | idle for 14 min",
      "30s   | idle_timeout     | 8h   | idle for 30 s",
      "119s  | idle_timeout     | 8h   | idle for 119 s",
      "3h    | idle_timeout     | 8h   | idle for 3 h",
      "0s    | idle_timeout     | 8h   | idle for 0 s",
      "14m   | max_session_time | 8h   | it reaches its 8 h limit",
      "14m   | max_session_time | 90m  | it reaches its 90 min limit",
      "14m   | max_session_time | 90s  | it reaches its 90 s limit",
  })
  void whyTheSessionEnds(String idleFor, String limit, String max, String why) {
    Deadline d = new Deadline(NOW.plusSeconds(60), limit);

    assertEquals(why, d.why(ago(idleFor), limits(max, "15m"), NOW));
  }
}
