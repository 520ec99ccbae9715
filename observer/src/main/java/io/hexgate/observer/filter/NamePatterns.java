package io.hexgate.observer.filter;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Hubble's name patterns, turned into one anchored regex per field. An FQDN pattern is lower-cased,
 * loses one trailing dot, and its {@code *} stands for {@code [-.0-9a-z]*}. A node name pattern is
 * {@code cluster/node}, {@code node} (any cluster) or {@code cluster/} (any node), each half an FQDN
 * pattern.
 */
final class NamePatterns {
  private static final String ANY_FQDN = "(?:[-0-9_a-z]+(?:\\.[-0-9_a-z]+)*)";

  private NamePatterns() {}

  static Pattern fqdns(List<String> patterns, String where, String field, FilterErrors errors) {
    return anyOf(patterns, NamePatterns::appendFqdn, where, field, errors);
  }

  static Pattern nodeNames(List<String> patterns, String where, String field, FilterErrors errors) {
    return anyOf(patterns, NamePatterns::appendNodeName, where, field, errors);
  }

  /** Appends one pattern's regex; returns what is wrong with the pattern, or null. */
  private interface Appender {
    String append(StringBuilder regex, String pattern);
  }

  private static Pattern anyOf(List<String> patterns, Appender appender, String where, String field, FilterErrors errors) {
    StringBuilder regex = new StringBuilder("\\A(?:");
    boolean valid = true;
    for (int i = 0; i < patterns.size(); i++) {
      if (i > 0) {
        regex.append('|');
      }
      String problem = appender.append(regex, patterns.get(i));
      if (problem != null) {
        errors.add(where, field, problem + " in " + Quote.of(patterns.get(i)));
        valid = false;
      }
    }
    return valid ? Pattern.compile(regex.append(")\\z").toString()) : null;
  }

  private static String appendNodeName(StringBuilder regex, String pattern) {
    if (pattern.isEmpty()) {
      return "empty pattern";
    }
    String[] halves = pattern.split("/", -1);
    if (halves.length > 2) {
      return "too many slashes";
    }
    String cluster = halves.length == 2 ? halves[0] : "";
    String node = halves.length == 2 ? halves[1] : halves[0];
    String problem = cluster.isEmpty() ? append(regex, ANY_FQDN) : appendFqdn(regex, cluster);
    if (problem != null) {
      return problem;
    }
    regex.append('/');
    return node.isEmpty() ? append(regex, ANY_FQDN) : appendFqdn(regex, node);
  }

  private static String append(StringBuilder regex, String part) {
    regex.append(part);
    return null;
  }

  /** Appends the regex of one FQDN pattern; the problem with it, or null. */
  private static String appendFqdn(StringBuilder regex, String pattern) {
    String p = pattern.strip();
    if (p.endsWith(".")) {
      p = p.substring(0, p.length() - 1);
    }
    p = p.toLowerCase(java.util.Locale.ROOT);
    if (p.isEmpty()) {
      return "empty pattern";
    }
    if (p.endsWith(".")) {
      return "multiple trailing dots";
    }
    for (int i = 0; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c == '.') {
        regex.append("\\.");
      } else if (c == '*') {
        regex.append("[-.0-9a-z]*");
      } else if (c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) {
        regex.append(c);
      } else {
        return "invalid character '" + c + "'";
      }
    }
    return null;
  }
}
