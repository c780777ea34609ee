package org.loginwarden.pam;

/**
 * The shape of a PAM value: between {@code min} and {@code max} characters, each one of
 * {@code allowed}. Checked by table rather than by regex: the hook checks every variable on
 * every login, and compiling the patterns cost it more than the checks.
 */
final class Shape {

  static final String LOWER = "abcdefghijklmnopqrstuvwxyz";
  static final String ALNUM = LOWER + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789";

  private final boolean[] allowed = new boolean[128];
  private final int min;
  private final int max;

  Shape(String allowed, int min, int max) {
    for (int i = 0; i < allowed.length(); i++) {
      this.allowed[allowed.charAt(i)] = true;
    }
    this.min = min;
    this.max = max;
  }

  boolean fits(String value) {
    if (value.length() < min || value.length() > max) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c >= 128 || !allowed[c]) {
        return false;
      }
    }
    return true;
  }
}
