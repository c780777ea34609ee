package org.loginwarden.core;

import java.time.Duration;

/** Durations as admins write them: {@code 90s 10m 8h 1d}, or a bare number of seconds. */
public final class Durations {

  private Durations() {}

  /**
   * Parses one duration.
   *
   * @throws IllegalArgumentException with a message fit for a config error line
   */
  public static Duration parse(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    char unit = t.charAt(t.length() - 1);
    String digits = isAsciiDigit(unit) ? t : t.substring(0, t.length() - 1);
    if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Durations::isAsciiDigit)) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (use 90s, 10m, 8h or 1d)");
    }
    long n = Long.parseLong(digits);
    switch (unit) {
      case 's':
        return Duration.ofSeconds(n);
      case 'm':
        return Duration.ofMinutes(n);
      case 'h':
        return Duration.ofHours(n);
      case 'd':
        return Duration.ofDays(n);
      default:
        if (isAsciiDigit(unit)) {
          return Duration.ofSeconds(n);
        }
        throw new IllegalArgumentException("unknown unit '" + unit + "' in '" + text
            + "' (use s, m, h or d)");
    }
  }

  /** Only 0-9: Character.isDigit would take other scripts' digits, which no admin means. */
  public static boolean isAsciiDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /** Rounded for people: "45 s", "14 min", "8 h". */
  public static String human(Duration d) {
    long s = Math.max(0, d.toSeconds());
    if (s < 120) {
      return s + " s";
    }
    if (s < 120 * 60) {
      return s / 60 + " min";
    }
    return s / 3600 + " h";
  }

  /** The shortest exact form: 600s prints as 10m. */
  public static String format(Duration d) {
    long s = d.toSeconds();
    if (s != 0 && s % 86400 == 0) {
      return s / 86400 + "d";
    }
    if (s != 0 && s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s != 0 && s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
