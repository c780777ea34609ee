package org.loginwarden.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.loginwarden.core.Activity;
import org.loginwarden.core.IsoInstants;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;

/**
 * The two JSON files of a user: live sessions (under run_dir, gone at reboot like the sessions
 * themselves) and violations, lock and failed logins (under state_dir, kept across reboots;
 * {@code authFailures} is written only when there are some). The reader is
 * tolerant of unknown fields and strict about types: a wrong type is a corrupt file.
 *
 * <p>Both use Jackson's streaming API only: the hook reads and writes these files on every
 * login, and databind's ObjectMapper costs more to start than the whole decision. The reader
 * builds a small tree of maps, lists and values, limited by the parser's constraints.
 */
final class StateCodec {

  /** The schema this code writes; files with a higher one were written by a newer release. */
  static final int SCHEMA = 1;
  static final int MAX_SESSIONS = 1024;

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(16).maxStringLength(65536).maxNumberLength(32).build())
      .build();

  private StateCodec() {}

  /** Thrown for content that parses as nothing loginwarden wrote. */
  static final class CorruptException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptException(String message) {
      super(message);
    }
  }

  record Persistent(List<Instant> violations, Lock lock, List<Instant> authFailures) {
    Persistent(List<Instant> violations, Lock lock) {
      this(violations, lock, List.of());
    }
  }

  static byte[] writeSessions(String user, List<Session> sessions) {
    return write(g -> {
      g.writeArrayFieldStart("sessions");
      for (Session s : sessions) {
        g.writeStartObject();
        g.writeNumberField("pid", s.pid());
        g.writeNumberField("start", s.startTime());
        g.writeNumberField("auditSession", s.auditSession());
        g.writeStringField("service", s.service());
        g.writeStringField("rhost", s.remoteHost());
        g.writeNumberField("rport", s.remotePort());
        g.writeStringField("tty", s.tty());
        g.writeStringField("authMethod", s.authMethod());
        g.writeStringField("authKey", s.authKey());
        g.writeStringField("opened", IsoInstants.format(s.opened()));
        g.writeStringField("ending", s.ending() == null ? null : IsoInstants.format(s.ending()));
        if (s.host() != null) {
          g.writeStringField("host", s.host());
        }
        Activity a = s.activity();
        if (a != null) {
          g.writeObjectFieldStart("activity");
          g.writeStringField("lastActive", IsoInstants.format(a.lastActive()));
          g.writeNumberField("ioBytes", a.ioBytes());
          g.writeStringField("pty", a.pty());
          g.writeStringField("warned", a.warned() == null ? null : IsoInstants.format(a.warned()));
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
    }, user);
  }

  static byte[] writePersistent(String user, List<Instant> violations, Lock lock) {
    return writePersistent(user, violations, lock, List.of());
  }

  static byte[] writePersistent(String user, List<Instant> violations, Lock lock,
      List<Instant> authFailures) {
    return write(g -> {
      g.writeArrayFieldStart("violations");
      for (Instant v : violations) {
        g.writeString(IsoInstants.format(v));
      }
      g.writeEndArray();
      if (!authFailures.isEmpty()) {
        g.writeArrayFieldStart("authFailures");
        for (Instant f : authFailures) {
          g.writeString(IsoInstants.format(f));
        }
        g.writeEndArray();
      }
      if (lock != null) {
        g.writeObjectFieldStart("lock");
        g.writeStringField("since", IsoInstants.format(lock.since()));
        g.writeStringField("until", lock.until() == null ? null : IsoInstants.format(lock.until()));
        g.writeStringField("reason", lock.reason());
        g.writeStringField("by", lock.by());
        if (lock.saved() != null) {
          g.writeObjectFieldStart("saved");
          g.writeBooleanField("passwordWasLocked", lock.saved().passwordWasLocked());
          g.writeStringField("expire", lock.saved().expire());
          g.writeEndObject();
        }
        g.writeEndObject();
      }
    }, user);
  }

  static List<Session> readSessions(String user, byte[] bytes) throws CorruptException {
    Map<String, Object> root = root(user, bytes);
    if (!root.containsKey("sessions")) {
      return List.of();
    }
    List<Object> array = array(root.get("sessions"), "sessions");
    List<Session> out = new ArrayList<>(array.size());
    for (Object element : array) {
      Map<String, Object> n = object(element, "sessions[]");
      out.add(new Session(
          number(n, "pid"), number(n, "start"), number(n, "auditSession"),
          text(n, "service", true), text(n, "rhost", false), port(n, "rport"),
          text(n, "tty", false), text(n, "authMethod", false), text(n, "authKey", false),
          instant(n, "opened", true), instant(n, "ending", false), activity(n.get("activity")),
          text(n, "host", false)));
    }
    return out;
  }

  private static Activity activity(Object value) throws CorruptException {
    if (value == null) {
      return null;
    }
    Map<String, Object> a = object(value, "activity");
    long io = number(a, "ioBytes");
    if (io < 0) {
      throw new CorruptException("'ioBytes' is negative");
    }
    return new Activity(instant(a, "lastActive", true), io, text(a, "pty", false),
        instant(a, "warned", false));
  }

  static Persistent readPersistent(String user, byte[] bytes) throws CorruptException {
    Map<String, Object> root = root(user, bytes);
    List<Instant> violations = instants(root, "violations");
    List<Instant> authFailures = instants(root, "authFailures");
    Lock lock = null;
    if (root.get("lock") != null) {
      Map<String, Object> l = object(root.get("lock"), "lock");
      SavedAccount saved = null;
      if (l.get("saved") != null) {
        if (!(l.get("saved") instanceof Map<?, ?> s)
            || !(s.get("passwordWasLocked") instanceof Boolean wasLocked)) {
          throw new CorruptException("'lock.saved' is malformed");
        }
        saved = new SavedAccount(wasLocked, text(object(s, "saved"), "expire", true));
      }
      lock = new Lock(instant(l, "since", true), instant(l, "until", false),
          text(l, "reason", true), text(l, "by", true), saved);
    }
    return new Persistent(violations, lock, authFailures);
  }

  /** An optional array of times; missing means none. */
  private static List<Instant> instants(Map<String, Object> root, String field)
      throws CorruptException {
    List<Instant> out = new ArrayList<>();
    if (root.containsKey(field)) {
      for (Object v : array(root.get(field), field)) {
        out.add(parseInstant(v, field));
      }
    }
    return out;
  }

  private static Map<String, Object> root(String user, byte[] bytes) throws CorruptException {
    Object tree;
    try {
      tree = parse(bytes);
    } catch (IOException e) {
      throw new CorruptException("not JSON: " + firstLine(e));
    }
    if (!(tree instanceof Map<?, ?>)) {
      throw new CorruptException("not a JSON object");
    }
    Map<String, Object> root = object(tree, "root");
    if (!(root.get("schema") instanceof Long schema) || schema < 1
        || schema > Integer.MAX_VALUE) {
      throw new CorruptException("no valid 'schema'");
    }
    if (!user.equals(root.get("user"))) {
      throw new CorruptException("'user' is not " + user);
    }
    return root;
  }

  /** The {@code user} a file says it belongs to, read under the same limits; null if none. */
  static String userOf(byte[] bytes) {
    return field(bytes, "user") instanceof String user ? user : null;
  }

  /** A file from a newer loginwarden is not overwritten: reading it is an error, not data loss. */
  static int schemaOf(byte[] bytes) {
    return field(bytes, "schema") instanceof Long schema && schema <= Integer.MAX_VALUE
        ? schema.intValue() : 0;
  }

  private static Object field(byte[] bytes, String name) {
    try {
      return parse(bytes) instanceof Map<?, ?> root ? root.get(name) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The document as nested maps, lists, strings, longs (whole numbers that fit), other numbers,
   * booleans and null. Content after the document makes it unreadable: no file of ours has any.
   */
  static Object parse(byte[] bytes) throws IOException {
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() == null) {
        throw new JsonParseException(p, "no content");
      }
      Object value = value(p);
      if (p.nextToken() != null) {
        throw new JsonParseException(p, "content after the document");
      }
      return value;
    }
  }

  /** The value at the parser's current token; nesting is bounded by the parser's limits. */
  private static Object value(JsonParser p) throws IOException {
    switch (p.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> map = new HashMap<>();
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
          p.nextToken();
          map.put(name, value(p));
        }
        return map;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          list.add(value(p));
        }
        return list;
      }
      case VALUE_STRING -> {
        return p.getText();
      }
      case VALUE_NUMBER_INT -> {
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? p.getBigIntegerValue() : (Object) p.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return p.getDoubleValue();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return p.getBooleanValue();
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new JsonParseException(p, "unexpected " + p.currentToken());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object value, String field) throws CorruptException {
    if (!(value instanceof Map<?, ?>)) {
      throw new CorruptException("'" + field + "' is not an object");
    }
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> array(Object value, String field) throws CorruptException {
    if (!(value instanceof List<?> list) || list.size() > MAX_SESSIONS) {
      throw new CorruptException("'" + field + "' is not an array of at most " + MAX_SESSIONS);
    }
    return (List<Object>) value;
  }

  private static long number(Map<String, Object> n, String field) throws CorruptException {
    if (!(n.get(field) instanceof Long v)) {
      throw new CorruptException("'" + field + "' is not a whole number");
    }
    return v;
  }

  private static int port(Map<String, Object> n, String field) throws CorruptException {
    long p = number(n, field);
    if (p < 0 || p > 65535) {
      throw new CorruptException("'" + field + "' is not a port number");
    }
    return (int) p;
  }

  private static String text(Map<String, Object> n, String field, boolean required)
      throws CorruptException {
    Object v = n.get(field);
    if (v == null) {
      if (required) {
        throw new CorruptException("'" + field + "' is missing");
      }
      return null;
    }
    if (!(v instanceof String text)) {
      throw new CorruptException("'" + field + "' is not a string");
    }
    return text;
  }

  private static Instant instant(Map<String, Object> n, String field, boolean required)
      throws CorruptException {
    Object v = n.get(field);
    if (v == null) {
      if (required) {
        throw new CorruptException("'" + field + "' is missing");
      }
      return null;
    }
    return parseInstant(v, field);
  }

  private static Instant parseInstant(Object v, String field) throws CorruptException {
    try {
      if (v instanceof String text) {
        return IsoInstants.parse(text);
      }
    } catch (DateTimeParseException e) {
      // reported below
    }
    throw new CorruptException("'" + field + "' is not an ISO-8601 time");
  }

  private interface Body {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Body body, String user) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("schema", SCHEMA);
      g.writeStringField("user", user);
      body.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to memory cannot fail", e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  private static String firstLine(IOException e) {
    String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    m = String.valueOf(m);
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
