package org.loginwarden.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The reference, the default file, the parser and the README agree on every key. */
class ConfigReferenceTest {

  private static Config parse(String text) throws ConfigException {
    return ConfigParser.parse("test", text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theDefaultFileMeansTheBuiltInDefaultsCommentedAndUncommented() throws Exception {
    String file = ConfigReference.defaultFile();
    assertEquals(ConfigParser.defaults(), parse(file));

    StringBuilder uncommented = new StringBuilder();
    for (String line : file.substring(0, file.indexOf("# Per-user")).split("\n")) {
      if (line.matches("#[a-z_]+ = .*")) {
        uncommented.append(line.substring(1)).append('\n');
      }
    }
    assertEquals(ConfigReference.KEYS.size(), uncommented.toString().lines().count());
    assertEquals(ConfigParser.defaults(), parse(uncommented.toString()));
  }

  @Test
  void everyConfigValueHasAKeyAndEveryKeyAValue() {
    List<String> fromRecord = new ArrayList<>();
    for (var c : Config.class.getRecordComponents()) {
      if (c.getName().equals("fleet")) {
        for (var f : org.loginwarden.config.Fleet.class.getRecordComponents()) {
          fromRecord.add(f.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
        }
        fromRecord.add("store");
      } else if (!c.getName().endsWith("Sections")) {
        fromRecord.add(c.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
      }
    }
    assertEquals(new java.util.TreeSet<>(fromRecord), new java.util.TreeSet<>(
        ConfigReference.KEYS.stream().map(ConfigReference.Key::name).toList()));
  }

  @Test
  void sectionsAcceptExactlyTheKeysMarkedForThem() throws Exception {
    for (ConfigReference.Key k : ConfigReference.KEYS) {
      String text = "[user backup]\n" + k.name() + " = " + k.value() + "\n";
      if (k.inSection()) {
        parse(text);
      } else {
        assertThrows(ConfigException.class, () -> parse(text), k.name());
      }
    }
  }

  @Test
  void theReadmeTableListsEveryKeyWithItsDefault() throws Exception {
    Pattern row = Pattern.compile("^\\| `([a-z_]+)` \\| (`([^`]*)`|\\(none\\)) \\|.*");
    Map<String, String> readme = new LinkedHashMap<>();
    for (String line : Files.readAllLines(Path.of("README.md"))) {
      Matcher m = row.matcher(line);
      if (m.matches()) {
        readme.put(m.group(1), m.group(3) == null ? "" : m.group(3));
      }
    }
    Map<String, String> reference = new LinkedHashMap<>();
    ConfigReference.KEYS.forEach(k -> reference.put(k.name(), k.value()));
    assertEquals(reference, readme);
  }

  @Test
  void wrapsAtWordBoundaries() {
    assertEquals(Arrays.asList("aa bb", "cc"), ConfigReference.wrap("aa bb cc", 5));
  }
}
