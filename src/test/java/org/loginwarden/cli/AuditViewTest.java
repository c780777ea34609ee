package org.loginwarden.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code audit} shows records. */
class AuditViewTest {

  private static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDlSmb4yZ4wmuRfK6WbpQt"
      + "L1XUD8oWZb1pL4hWFmgwJQ";

  @Test
  void keysAreShownByTheFingerprintSshKeygenPrints() {
    // ssh-keygen -lf on this key: 256 SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU
    assertEquals("SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU",
        AuditView.fingerprint(KEY));
    assertNull(AuditView.fingerprint("ssh-ed25519 not!base64"));
    assertNull(AuditView.fingerprint(null));
  }

  @Test
  void aRowSaysWhoFromWhereWithWhichKeyAndWhy() throws Exception {
    JsonNode r = new ObjectMapper().readTree("{\"time\":\"2026-11-22T10:00:03.123456Z\","
        + "\"host\":\"h\",\"event\":\"open\",\"user\":\"alice\",\"rhost\":\"10.0.0.5\","
        + "\"rport\":50022,\"authMethod\":\"publickey\",\"authKey\":\"" + KEY + "\","
        + "\"reason\":\"1 of 1\",\"by\":\"loginwarden\"}");
    assertArrayEquals(new String[] {"2026-11-22T10:00:03Z", "alice", "open", "10.0.0.5 port 50022",
        "publickey SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU", "loginwarden", "1 of 1"},
        AuditView.row(r));
    assertEquals("SHA256:XqXtmtDdfqAnDmwZrUuwWM25GQ8eT2mC3jlBypFktxU",
        AuditView.withFingerprint(r).path("authKeyFingerprint").asText());
  }

  @Test
  void theTableHasAHeaderDashesAndALegend() throws Exception {
    JsonNode lock = new ObjectMapper().readTree("{\"time\":\"2026-11-22T10:00:00Z\",\"event\":"
        + "\"lock\",\"user\":\"bob\",\"reason\":\"lock by root\\nX\",\"by\":\"root\"}");
    String t = AuditView.table(List.<String[]>of(AuditView.row(lock)), 2, 3, true);
    List<String> lines = t.lines().toList();
    assertTrue(lines.get(0).matches("TIME +USER +EVENT +FROM +AUTH +BY +REASON"), t);
    assertTrue(lines.get(1).matches("2026-11-22T10:00:00Z +bob +lock +- +- +root +lock by "
        + "root\\\\x0aX"), t);
    assertEquals("1 record listed from 3 files, 2 lines skipped (not loginwarden audit "
        + "records).", lines.get(3));
    assertEquals(1, AuditView.table(List.<String[]>of(AuditView.row(lock)), 0, 1, false).lines().count());
  }
}
