package org.loginwarden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Renders {@code audit}: a table in loginctl's style, or one JSON object per line. */
final class AuditView {

  private static final String[] COLUMNS = {"TIME", "USER", "EVENT", "FROM", "AUTH", "BY",
      "REASON"};
  private static final String[] HOSTED_COLUMNS = {"TIME", "HOST", "USER", "EVENT", "FROM",
      "AUTH", "BY", "REASON"};

  private AuditView() {}

  /** One table row of a record. */
  static String[] row(JsonNode r) {
    return row(r, false);
  }

  /** One table row of a record; with the fleet's id of the host that wrote it, if asked. */
  static String[] row(JsonNode r, boolean withHost) {
    String from = text(r, "rhost");
    if (from != null && r.path("rport").asInt(0) > 0) {
      from += " port " + r.path("rport").asInt();
    }
    String auth = text(r, "authMethod");
    String fingerprint = fingerprint(text(r, "authKey"));
    if (fingerprint != null) {
      auth = (auth == null ? "" : auth + " ") + fingerprint;
    }
    String time = r.path("time").asText().replaceFirst("\\.\\d+Z$", "Z");
    String[] row = {time, text(r, "user"), text(r, "event") + (r.path("dryRun")
        .asBoolean(false) ? " (dry run)" : ""), from, auth, text(r, "by"), text(r, "reason")};
    if (!withHost) {
      return row;
    }
    String[] hosted = new String[row.length + 1];
    hosted[0] = row[0];
    hosted[1] = text(r, "hostId") != null ? text(r, "hostId") : text(r, "host");
    System.arraycopy(row, 1, hosted, 2, row.length - 1);
    return hosted;
  }

  /** The record with its key's fingerprint added, as {@code --json} prints it. */
  static JsonNode withFingerprint(JsonNode r) {
    String fingerprint = fingerprint(text(r, "authKey"));
    if (fingerprint == null || !(r instanceof ObjectNode o)) {
      return r;
    }
    return o.deepCopy().put("authKeyFingerprint", fingerprint);
  }

  static String table(List<String[]> rows, int skipped, int files, boolean legend) {
    return table(rows, skipped, files + (files == 1 ? " file" : " files"), false, legend);
  }

  /**
   * @param source   where the rows were read: "3 files", "the fleet database"
   * @param withHost rows made with {@code row(r, true)}
   */
  static String table(List<String[]> rows, int skipped, String source, boolean withHost,
      boolean legend) {
    StringBuilder out = new StringBuilder();
    List<String[]> all = new ArrayList<>();
    if (legend) {
      all.add(withHost ? HOSTED_COLUMNS : COLUMNS);
    }
    all.addAll(rows);
    int[] width = new int[all.isEmpty() ? 0 : all.get(0).length];
    for (String[] r : all) {
      for (int i = 0; i < r.length; i++) {
        width[i] = Math.max(width[i], cell(r[i]).length());
      }
    }
    for (String[] r : all) {
      StringBuilder l = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        // The last column is not padded: reasons are long and vary.
        l.append(i == r.length - 1 ? cell(r[i]) : String.format("%-" + width[i] + "s ", cell(r[i])));
      }
      out.append(l.toString().stripTrailing()).append('\n');
    }
    if (legend) {
      out.append('\n').append(rows.size()).append(rows.size() == 1 ? " record" : " records")
          .append(" listed from ").append(source);
      if (skipped > 0) {
        out.append(", ").append(skipped).append(skipped == 1 ? " line" : " lines")
            .append(" skipped (not loginwarden audit records)");
      }
      out.append(".\n");
    }
    return out.toString();
  }

  /**
   * An OpenSSH public key's fingerprint as {@code ssh-keygen -l} prints it
   * ({@code SHA256:} and the unpadded base64 of the key blob's digest), or null.
   */
  static String fingerprint(String authKey) {
    if (authKey == null) {
      return null;
    }
    String[] f = authKey.strip().split("\\s+");
    if (f.length < 2) {
      return null;
    }
    try {
      byte[] blob = Base64.getDecoder().decode(f[1]);
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
    } catch (IllegalArgumentException | NoSuchAlgorithmException e) {
      return null;
    }
  }

  private static String text(JsonNode r, String field) {
    JsonNode v = r.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? null : v.asText();
  }

  /** '-' for empty, as loginctl; control characters shown, never sent to the terminal. */
  private static String cell(String s) {
    if (s == null) {
      return "-";
    }
    StringBuilder b = new StringBuilder();
    s.codePoints().forEach(c -> {
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.appendCodePoint(c);
      }
    });
    return b.toString();
  }

}
