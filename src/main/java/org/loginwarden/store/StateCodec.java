package org.loginwarden.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.loginwarden.core.Activity;
import org.loginwarden.core.Lock;
import org.loginwarden.core.SavedAccount;
import org.loginwarden.core.Session;

/**
 * The two JSON files of a user: live sessions (under run_dir, gone at reboot like the sessions
 * themselves) and violations, lock and failed logins (under state_dir, kept across reboots;
 * {@code authFailures} is written only when there are some). The reader is
 * tolerant of unknown fields and strict about types: a wrong type is a corrupt file.
 */
final class StateCodec {

  /** The schema this code writes; files with a higher one were written by a newer release. */
  static final int SCHEMA = 1;
  static final int MAX_SESSIONS = 1024;

  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(16).maxStringLength(65536).maxNumberLength(32).build())
      .build());

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
        g.writeStringField("opened", s.opened().toString());
        g.writeStringField("ending", s.ending() == null ? null : s.ending().toString());
        Activity a = s.activity();
        if (a != null) {
          g.writeObjectFieldStart("activity");
          g.writeStringField("lastActive", a.lastActive().toString());
          g.writeNumberField("ioBytes", a.ioBytes());
          g.writeStringField("pty", a.pty());
          g.writeStringField("warned", a.warned() == null ? null : a.warned().toString());
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
        g.writeString(v.toString());
      }
      g.writeEndArray();
      if (!authFailures.isEmpty()) {
        g.writeArrayFieldStart("authFailures");
        for (Instant f : authFailures) {
          g.writeString(f.toString());
        }
        g.writeEndArray();
      }
      if (lock != null) {
        g.writeObjectFieldStart("lock");
        g.writeStringField("since", lock.since().toString());
        g.writeStringField("until", lock.until() == null ? null : lock.until().toString());
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
    JsonNode root = root(user, bytes);
    JsonNode array = root.path("sessions");
    if (array.isMissingNode()) {
      return List.of();
    }
    if (!array.isArray() || array.size() > MAX_SESSIONS) {
      throw new CorruptException("'sessions' is not an array of at most " + MAX_SESSIONS);
    }
    List<Session> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(new Session(
          number(n, "pid"), number(n, "start"), number(n, "auditSession"),
          text(n, "service", true), text(n, "rhost", false), port(n, "rport"),
          text(n, "tty", false), text(n, "authMethod", false), text(n, "authKey", false),
          instant(n, "opened", true), instant(n, "ending", false), activity(n.path("activity"))));
    }
    return out;
  }

  private static Activity activity(JsonNode a) throws CorruptException {
    if (a.isMissingNode() || a.isNull()) {
      return null;
    }
    if (!a.isObject()) {
      throw new CorruptException("'activity' is not an object");
    }
    long io = number(a, "ioBytes");
    if (io < 0) {
      throw new CorruptException("'ioBytes' is negative");
    }
    return new Activity(instant(a, "lastActive", true), io, text(a, "pty", false),
        instant(a, "warned", false));
  }

  static Persistent readPersistent(String user, byte[] bytes) throws CorruptException {
    JsonNode root = root(user, bytes);
    List<Instant> violations = instants(root, "violations");
    List<Instant> authFailures = instants(root, "authFailures");
    Lock lock = null;
    JsonNode l = root.path("lock");
    if (!l.isMissingNode() && !l.isNull()) {
      if (!l.isObject()) {
        throw new CorruptException("'lock' is not an object");
      }
      SavedAccount saved = null;
      JsonNode s = l.path("saved");
      if (!s.isMissingNode() && !s.isNull()) {
        if (!s.isObject() || !s.path("passwordWasLocked").isBoolean()) {
          throw new CorruptException("'lock.saved' is malformed");
        }
        saved = new SavedAccount(s.get("passwordWasLocked").booleanValue(),
            text(s, "expire", true));
      }
      lock = new Lock(instant(l, "since", true), instant(l, "until", false),
          text(l, "reason", true), text(l, "by", true), saved);
    }
    return new Persistent(violations, lock, authFailures);
  }

  /** An optional array of times; missing means none. */
  private static List<Instant> instants(JsonNode root, String field) throws CorruptException {
    List<Instant> out = new ArrayList<>();
    JsonNode array = root.path(field);
    if (!array.isMissingNode()) {
      if (!array.isArray() || array.size() > MAX_SESSIONS) {
        throw new CorruptException("'" + field + "' is not an array of at most " + MAX_SESSIONS);
      }
      for (JsonNode v : array) {
        out.add(parseInstant(v, field));
      }
    }
    return out;
  }

  private static JsonNode root(String user, byte[] bytes) throws CorruptException {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new CorruptException("not JSON: " + firstLine(e));
    }
    if (root == null || !root.isObject()) {
      throw new CorruptException("not a JSON object");
    }
    JsonNode schema = root.path("schema");
    if (!schema.isInt() || schema.intValue() < 1) {
      throw new CorruptException("no valid 'schema'");
    }
    if (!root.path("user").isTextual() || !user.equals(root.path("user").textValue())) {
      throw new CorruptException("'user' is not " + user);
    }
    return root;
  }

  /** The {@code user} a file says it belongs to, read under the same limits; null if none. */
  static String userOf(byte[] bytes) {
    try {
      JsonNode user = MAPPER.readTree(bytes).path("user");
      return user.isTextual() ? user.textValue() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A file from a newer loginwarden is not overwritten: reading it is an error, not data loss. */
  static int schemaOf(byte[] bytes) {
    try {
      return MAPPER.readTree(bytes).path("schema").asInt(0);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long number(JsonNode n, String field) throws CorruptException {
    JsonNode v = n.path(field);
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new CorruptException("'" + field + "' is not a whole number");
    }
    return v.longValue();
  }

  private static int port(JsonNode n, String field) throws CorruptException {
    long p = number(n, field);
    if (p < 0 || p > 65535) {
      throw new CorruptException("'" + field + "' is not a port number");
    }
    return (int) p;
  }

  private static String text(JsonNode n, String field, boolean required) throws CorruptException {
    JsonNode v = n.path(field);
    if (v.isMissingNode() || v.isNull()) {
      if (required) {
        throw new CorruptException("'" + field + "' is missing");
      }
      return null;
    }
    if (!v.isTextual()) {
      throw new CorruptException("'" + field + "' is not a string");
    }
    return v.textValue();
  }

  private static Instant instant(JsonNode n, String field, boolean required)
      throws CorruptException {
    JsonNode v = n.path(field);
    if (v.isMissingNode() || v.isNull()) {
      if (required) {
        throw new CorruptException("'" + field + "' is missing");
      }
      return null;
    }
    return parseInstant(v, field);
  }

  private static Instant parseInstant(JsonNode v, String field) throws CorruptException {
    try {
      if (v.isTextual()) {
        return Instant.parse(v.textValue());
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
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
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
