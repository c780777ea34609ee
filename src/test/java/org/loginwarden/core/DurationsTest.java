package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest(name = "''{0}'' is {1}s")
  @CsvSource(delimiter = '|', value = {
      "90s       | 90",
      "10m       | 600",
      "8h        | 28800",
      "1d        | 86400",
      "45        | 45",
      "0         | 0",
      "0s        | 0",
      "'  7m '   | 420",
      "007s      | 7",
      "999999999 | 999999999",
  })
  void parsesWhatAdminsWrite(String text, long seconds) {
    assertEquals(Duration.ofSeconds(seconds), Durations.parse(text));
  }

  @ParameterizedTest(name = "''{0}'' is refused")
  @ValueSource(strings = {"", "   ", "s", "m", "-5", "-5s", "+5s", "1.5h", "10 m", "1e3",
      "10S", "10M", "5w", "5ms", "1000000000", "1000000000s", "abc", "1h30m",
      "\u0663s", "\u0661\u0660m", "\uff15"})
  void refusesEverythingElse(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    assertTrue(!e.getMessage().isEmpty() && !e.getMessage().contains("\n"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}s prints as {1}")
  @CsvSource({
      "0, 0s",
      "1, 1s",
      "59, 59s",
      "60, 1m",
      "90, 90s",
      "600, 10m",
      "3600, 1h",
      "5400, 90m",
      "86400, 1d",
      "90000, 25h",
      "172800, 2d",
  })
  void formatsTheShortestExactForm(long seconds, String text) {
    assertEquals(text, Durations.format(Duration.ofSeconds(seconds)));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 59, 60, 61, 3599, 3600, 86399, 86400, 90061, 604800})
  void formatRoundTripsThroughParse(long seconds) {
    Duration d = Duration.ofSeconds(seconds);
    assertEquals(d, Durations.parse(Durations.format(d)));
  }

  @ParameterizedTest(name = "{0}s reads as ''{1}''")
  @CsvSource({
      "-5, 0 s",
      "0, 0 s",
      "1, 1 s",
      "60, 60 s",
      "119, 119 s",
      "120, 2 min",
      "179, 2 min",
      "899, 14 min",
      "3600, 60 min",
      "7199, 119 min",
      "7200, 2 h",
      "10799, 2 h",
      "28800, 8 h",
      "86400, 24 h",
      "172800, 48 h",
  })
  void humanRoundsDownToOneUnit(long seconds, String text) {
    assertEquals(text, Durations.human(Duration.ofSeconds(seconds)));
  }

  @Test
  void humanIgnoresFractionsOfASecond() {
    assertEquals("59 s", Durations.human(Duration.ofMillis(59_999)));
    assertEquals("0 s", Durations.human(Duration.ofMillis(-1)));
  }
}
