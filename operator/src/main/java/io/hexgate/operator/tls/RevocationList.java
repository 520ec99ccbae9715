package io.hexgate.operator.tls;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The agent certificates that may no longer connect, kept as text under the key {@value #KEY} of the CA
 * Secret. One certificate per line: its serial number in hexadecimal (as {@code openssl x509 -serial}
 * prints it; colons and a {@code 0x} or {@code serial=} prefix are allowed, case does not matter), then the node it was
 * issued to, then an optional free-text note. Blank lines and lines starting with {@code #} are ignored.
 * The serial alone decides; the node is there for the people who read the list.
 *
 * <pre>
 * # serial                            node     note
 * 3f9a0c51d2e4b6a7c8d9e0f1a2b3c4d5    node-a   2026-12-05 disk stolen
 * </pre>
 */
public record RevocationList(Map<BigInteger, String> entries) {
  public static final String KEY = "revoked";
  public static final RevocationList EMPTY = new RevocationList(Map.of());

  public RevocationList {
    entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  /** What a text parsed to; {@code errors} name the lines that could not be read (1-based). */
  public record Parsed(RevocationList list, List<String> errors) {}

  public static Parsed parse(String text) {
    Map<BigInteger, String> out = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    if (text == null) {
      return new Parsed(EMPTY, errors);
    }
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+", 3);
      BigInteger serial = serial(fields[0]);
      if (serial == null) {
        errors.add("line " + (i + 1) + ": '" + fields[0] + "' is not a hexadecimal serial number");
      } else if (fields.length < 2) {
        errors.add("line " + (i + 1) + ": serial " + format(serial) + " names no node");
        out.put(serial, "?"); // the serial is clear: revoke it all the same
      } else {
        out.put(serial, fields[1]);
      }
    }
    return new Parsed(new RevocationList(out), errors);
  }

  /** Serials are compared as numbers: {@code 0A} and {@code a} are the same certificate. */
  static BigInteger serial(String text) {
    String hex = text.replace(":", "").replaceFirst("^(0x|0X|serial=)", "");
    if (hex.isEmpty() || !hex.matches("[0-9a-fA-F]+")) {
      return null;
    }
    return new BigInteger(hex, 16);
  }

  /** How serials are written: lowercase hexadecimal without separators. */
  public static String format(BigInteger serial) {
    return serial.toString(16).toLowerCase(Locale.ROOT);
  }

  public boolean revoked(BigInteger serial) {
    return entries.containsKey(serial);
  }

  public boolean revoked(X509Certificate cert) {
    return revoked(cert.getSerialNumber());
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** This list and the other's entries together (the other's notes win). */
  public RevocationList plus(RevocationList other) {
    Map<BigInteger, String> m = new LinkedHashMap<>(entries);
    m.putAll(other.entries);
    return new RevocationList(m);
  }

  /**
   * {@code text} with a line revoking {@code serial} appended (unchanged if it is listed already), so the
   * comments and layout people gave the list survive.
   */
  public static String append(String text, BigInteger serial, String node, String note) {
    if (parse(text).list().revoked(serial)) {
      return text;
    }
    String base = text == null || text.isEmpty() ? "# serial node note\n" : text.endsWith("\n") ? text : text + "\n";
    return base + format(serial) + " " + node + (note == null || note.isBlank() ? "" : " " + note.strip()) + "\n";
  }
}
