package org.loginwarden.config;

import java.util.HashMap;
import java.util.Map;

/**
 * What one [user NAME] or [group NAME] section sets: config key to parsed value (Integer,
 * Duration or Boolean). Keys the section does not set are absent.
 */
public record Overrides(Map<String, Object> values) {

  public static final Overrides NONE = new Overrides(Map.of());

  public Overrides {
    values = Map.copyOf(values);
  }

  Overrides with(String key, Object value) {
    Map<String, Object> copy = new HashMap<>(values);
    copy.put(key, value);
    return new Overrides(copy);
  }

  /** These values, with {@code top}'s replacing any of the same key. */
  Overrides under(Overrides top) {
    Map<String, Object> merged = new HashMap<>(values);
    merged.putAll(top.values);
    return new Overrides(merged);
  }

  /** The section's value for {@code key}, or {@code fallback} (the global value). */
  <T> T get(String key, T fallback) {
    @SuppressWarnings("unchecked")
    T value = (T) values.get(key);
    return value != null ? value : fallback;
  }
}
