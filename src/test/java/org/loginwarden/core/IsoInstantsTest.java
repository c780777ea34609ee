package org.loginwarden.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class IsoInstantsTest {

  @Test
  void writesAndReadsExactlyAsJavaTimeDoes() {
    SplittableRandom random = new SplittableRandom(20261123);
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      long seconds = random.nextLong(-62_167_219_200L, max + 1);
      int nano = switch (i % 5) {
        case 0 -> 0;
        case 1 -> random.nextInt(1000) * 1_000_000;
        case 2 -> random.nextInt(1_000_000) * 1000;
        default -> random.nextInt(1_000_000_000);
      };
      Instant t = Instant.ofEpochSecond(seconds, nano);
      String text = IsoInstants.format(t);
      assertEquals(t.toString(), text);
      assertEquals(t, IsoInstants.parse(text));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2026-11-23T01:02:03Z", "2026-11-23T01:02:03.4Z",
      "2026-11-23T01:02:03.45Z", "2026-11-23T01:02:03.456789012Z", "2024-02-29T00:00:00Z",
      "2026-11-23t01:02:03z", "+10000-01-01T00:00:00Z", "2026-11-23T01:02:03+01:00",
      "1970-01-01T00:00:00.000Z", "2026-11-23T24:00:00Z", "2026-11-23T01:02:03.Z",
      "2026-11-23T23:59:60Z"})
  void readsWhatJavaTimeReads(String text) {
    assertEquals(Instant.parse(text), IsoInstants.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "2026-11-23", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
      "2026-11-23T25:00:00Z", "2026-11-23T01:02:03.1234567890Z",
      "2026-11-23T01:02:0aZ", "２026-11-23T01:02:03Z", "-001-11-23T01:02:03Z"})
  void refusesWhatJavaTimeRefuses(String text) {
    assertThrows(DateTimeParseException.class, () -> Instant.parse(text));
    assertThrows(DateTimeParseException.class, () -> IsoInstants.parse(text));
  }
}
