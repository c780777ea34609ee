package org.loginwarden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UserNamesTest {

  @ParameterizedTest(name = "''{0}'' is a name")
  @ValueSource(strings = {"alice", "a", "Bob_2", "alice@corp.example", "CORP\\alice",
      "first.last", "a-b", "a+b", "j\u00fcrgen", "\u7528\u6237", "a\uD83D\uDE00b", "x.", ".x",
      "...", "~tilde", "%41", "a%", "a-", "_", "@", "0", "1000"})
  void acceptsRealAccountNames(String name) {
    assertNull(UserNames.problem(name));
  }

  @ParameterizedTest(name = "U+{0} is refused")
  @ValueSource(ints = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x20, 0x7f, 0x80, 0x85, 0x9f,
      0xa0, 0x2007, 0x2028, 0x2029, 0x202f, 0x3000, 0xfffd, '/', ':'})
  void refusesForbiddenCharactersAnywhere(int c) {
    String ch = Character.toString(c);
    for (String name : new String[] {ch, "a" + ch, ch + "a", "al" + ch + "ice"}) {
      String problem = UserNames.problem(name);
      assertNotNull(problem, "accepted " + name);
      assertFalse(problem.contains("\n"));
    }
  }

  @ParameterizedTest(name = "''{0}'' is refused")
  @ValueSource(strings = {"", ".", "..", "-", "-alice", "--help", "../x", "x/..", "/etc",
      "a b", " alice", "alice ", "a:b", "\uD800", "a\uDC00", "\uDE00\uD83D"})
  void refusesOtherBadNames(String name) {
    assertNotNull(UserNames.problem(name));
  }

  @Test
  void refusesNull() {
    assertNotNull(UserNames.problem(null));
  }

  @Test
  void limitsTheLengthInBytes() {
    assertNull(UserNames.problem("a".repeat(256)));
    assertNotNull(UserNames.problem("a".repeat(257)));
    assertNull(UserNames.problem("\u00fc".repeat(128)), "256 bytes");
    assertNotNull(UserNames.problem("\u00fc".repeat(129)), "258 bytes in 129 chars");
    assertNotNull(UserNames.problem("a".repeat(10_000)));
  }

  @ParameterizedTest(name = "''{0}'' is stored as ''{1}''")
  @CsvSource(delimiter = '|', value = {
      "alice              | alice",
      "Bob_2              | Bob_2",
      "a-b+c@d            | a-b+c@d",
      "alice@corp.example | alice@corp%2Eexample",
      "CORP\\alice        | CORP%5Calice",
      "first.last         | first%2Elast",
      "...                | %2E%2E%2E",
      "~x                 | %7Ex",
      "%41                | %2541",
      "j\u00fcrgen        | j%C3%BCrgen",
      "a\uD83D\uDE00      | a%F0%9F%98%80",
  })
  void encodesBytesOutsideTheSafeSet(String name, String file) {
    assertEquals(file, UserNames.encode(name));
    assertEquals(name, UserNames.decode(file));
  }

  @Test
  void longEncodingsBecomeADigest() {
    String fits = "a".repeat(200);
    assertEquals(fits, UserNames.encode(fits));
    assertEquals(fits, UserNames.decode(fits));

    String tooLong = "a".repeat(201);
    String digest = UserNames.encode(tooLong);
    assertTrue(digest.matches("~[0-9a-f]{64}"), digest);
    assertNull(UserNames.decode(digest), "a digest does not name its user");

    // 67 dots encode to 201 characters: the limit applies to the encoded form.
    String dots = ".".repeat(67);
    assertTrue(UserNames.encode(dots).startsWith("~"));
    String dotsThatFit = "xy" + ".".repeat(66);
    assertEquals(200, UserNames.encode(dotsThatFit).length());
    assertNotEquals(UserNames.encode("b".repeat(201)), digest);
  }

  @ParameterizedTest(name = "''{0}'' is no user''s file")
  @ValueSource(strings = {"", ".", "..", "a.json", "a/b", "%2e", "%2F", "%2f", "%3A", "%0A",
      "%20", "%2D", "-a", "%2Da", "%", "%4", "a%4", "%G1", "%41", "%61", "%FF", "%C3", "%C3%28",
      "%ED%A0%80", "%EF%BF%BD", "%2E", "%2E%2E", "j\u00fcrgen", "~abc", "A B"})
  void decodeRefusesWhatEncodeNeverWrites(String file) {
    assertNull(UserNames.decode(file));
  }

  @Test
  void decodeRefusesTooLongNames() {
    assertNull(UserNames.decode("a".repeat(201)));
    assertNull(UserNames.decode("%41".repeat(67)));
  }

  @Test
  void randomValidNamesRoundTripIntoSafeFileNames() {
    Random random = new Random(20260301);
    int[] alphabet = {'a', 'Z', '0', '_', '-', '+', '@', '.', '\\', '~', '%', '$', '!', '*',
        0xe9, 0xfc, 0x3b1, 0x7528, 0x1f600, 0x10ffff, 0xd800, 0xdfff, 0xa0, 0x202e, 0x200b,
        0xfeff, 0xfffe, '/', ':', ' ', '\n', 0x7f, 0xfffd};
    Map<String, String> seen = new HashMap<>();
    int valid = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int length = 1 + random.nextInt(i % 10 == 0 ? 120 : 12);
      for (int j = 0; j < length; j++) {
        b.appendCodePoint(random.nextInt(4) == 0
            ? alphabet[random.nextInt(alphabet.length)]
            : random.nextInt(2) == 0 ? 0x20 + random.nextInt(0x5f) : random.nextInt(0x110000));
      }
      String name = b.toString();
      if (UserNames.problem(name) != null) {
        continue;
      }
      valid++;
      String file = UserNames.encode(name);
      assertFalse(file.contains("/"), file);
      assertFalse(file.startsWith("."), file);
      assertFalse(file.startsWith("-"), file);
      assertTrue(file.length() <= 200 || file.length() == 65, file);
      assertTrue(file.chars().allMatch(c -> c > 0x20 && c < 0x7f), file);
      String other = seen.put(file, name);
      assertTrue(other == null || other.equals(name), "two names, one file: " + file);
      if (file.startsWith("~")) {
        assertNull(UserNames.decode(file));
      } else {
        assertEquals(name, UserNames.decode(file), file);
        assertEquals(name, new String(name.getBytes(StandardCharsets.UTF_8),
            StandardCharsets.UTF_8), "a valid name survives UTF-8");
      }
    }
    assertTrue(valid > 5_000, "only " + valid + " valid names generated");
  }
}
