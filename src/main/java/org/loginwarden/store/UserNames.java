package org.loginwarden.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Account names as they come from PAM and the command line, checked, and encoded for file
 * names. Any real account name works, LDAP's {@code alice@corp.example} and winbind's
 * {@code CORP\alice} included; nothing can name a path outside the store.
 */
public final class UserNames {

  /** Longest name accepted, in bytes: well above any real directory's limit. */
  public static final int MAX_BYTES = 256;
  private static final int MAX_FILE_NAME = 200;

  private UserNames() {}

  /**
   * Why a name cannot be an account name, or null when it can. Rejects control characters,
   * white space, '/', ':', a leading '-', "." and "..", U+FFFD (what invalid UTF-8 decodes to),
   * unpaired surrogates (no UTF-8 form: two names would share a file) and more than
   * {@link #MAX_BYTES} bytes.
   */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "empty user name";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return "user name longer than " + MAX_BYTES + " bytes";
    }
    if (name.equals(".") || name.equals("..") || name.startsWith("-")) {
      return "user name may not be '.', '..' or start with '-'";
    }
    for (int i = 0; i < name.length(); i += Character.charCount(name.codePointAt(i))) {
      int c = name.codePointAt(i);
      // isSpaceChar adds the no-break spaces, which isWhitespace leaves out.
      if (c < 0x20 || c == 0x7f || Character.isWhitespace(c) || Character.isSpaceChar(c)
          || c == '/' || c == ':' || c == 0xFFFD || Character.isISOControl(c)
          || Character.getType(c) == Character.SURROGATE) {
        return "user name contains a forbidden character (U+" + String.format("%04X", c) + ")";
      }
    }
    return null;
  }

  /** The file name for a valid user: bytes outside [A-Za-z0-9_@+-] become %XX. */
  public static String encode(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (isPlain(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    if (out.length() > MAX_FILE_NAME) {
      // Too long for a file name once encoded: a digest names it; the file keeps the name.
      return "~" + sha256(bytes);
    }
    return out.toString();
  }

  /** The user a file name stands for, or null if it is a digest name or not an encoding. */
  public static String decode(String fileName) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 0; i < fileName.length(); i++) {
      char c = fileName.charAt(i);
      if (c == '%' && i + 2 < fileName.length()) {
        int hi = Character.digit(fileName.charAt(i + 1), 16);
        int lo = Character.digit(fileName.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi << 4 | lo);
        i += 2;
      } else if (c < 0x80 && isPlain(c)) {
        bytes.write(c);
      } else {
        return null;
      }
    }
    String name = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    return problem(name) == null && encode(name).equals(fileName) ? name : null;
  }

  private static boolean isPlain(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '-' || c == '@' || c == '+';
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
