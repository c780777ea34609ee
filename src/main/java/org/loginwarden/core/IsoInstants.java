package org.loginwarden.core;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * UTC instants written exactly as {@link Instant#toString} writes them and read as
 * {@link Instant#parse} reads them, without java.time.format: its start builds every standard
 * formatter, which cost each hook call 2 ms. The years 0 to 9999 in the form loginwarden writes
 * ({@code 2026-11-23T01:02:03.456Z}) take the short way; anything else goes through java.time.
 */
public final class IsoInstants {

  private IsoInstants() {}

  public static String format(Instant t) {
    LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
    if (d.getYear() < 0 || d.getYear() > 9999) {
      return t.toString();
    }
    StringBuilder b = new StringBuilder(30);
    digits(b, d.getYear(), 4).append('-');
    digits(b, d.getMonthValue(), 2).append('-');
    digits(b, d.getDayOfMonth(), 2).append('T');
    digits(b, d.getHour(), 2).append(':');
    digits(b, d.getMinute(), 2).append(':');
    digits(b, d.getSecond(), 2);
    int nano = t.getNano();
    if (nano > 0) {
      // As Instant.toString: the fraction in groups of three digits, as many as it needs.
      b.append('.');
      if (nano % 1_000_000 == 0) {
        digits(b, nano / 1_000_000, 3);
      } else if (nano % 1000 == 0) {
        digits(b, nano / 1000, 6);
      } else {
        digits(b, nano, 9);
      }
    }
    return b.append('Z').toString();
  }

  public static Instant parse(String text) {
    int n = text.length();
    if (n < 20 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-'
        || text.charAt(10) != 'T' || text.charAt(13) != ':' || text.charAt(16) != ':'
        || text.charAt(n - 1) != 'Z' || (n > 20 && (text.charAt(19) != '.' || n == 21))) {
      return Instant.parse(text);
    }
    int year = number(text, 0, 4);
    int month = number(text, 5, 7);
    int day = number(text, 8, 10);
    int hour = number(text, 11, 13);
    int minute = number(text, 14, 16);
    int second = number(text, 17, 19);
    int nano = 0;
    if (n > 20) {
      int fraction = number(text, 20, n - 1);
      nano = fraction < 0 ? -1 : fraction * POWERS[9 - (n - 21)];
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23
        || minute < 0 || minute > 59 || second < 0 || second > 59 || nano < 0) {
      return Instant.parse(text);
    }
    try {
      return LocalDateTime.of(year, month, day, hour, minute, second, nano)
          .toInstant(ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      return Instant.parse(text);
    }
  }

  private static final int[] POWERS = {1, 10, 100, 1000, 10_000, 100_000, 1_000_000,
      10_000_000, 100_000_000};

  /** The decimal number in text[from, to), or -1 if any of it is not a digit. */
  private static int number(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static StringBuilder digits(StringBuilder b, int value, int width) {
    String s = Integer.toString(value);
    for (int i = s.length(); i < width; i++) {
      b.append('0');
    }
    return b.append(s);
  }
}
