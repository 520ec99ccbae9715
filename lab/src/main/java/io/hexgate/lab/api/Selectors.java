package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code labelSelector} (equality and set-based) and {@code fieldSelector} query parameters as the API
 * server reads them. Fields are looked up by their dotted path in the object, so any field selects.
 */
final class Selectors {
  private Selectors() {}

  static Predicate<JsonNode> labels(String selector) {
    if (selector == null || selector.isBlank()) {
      return o -> true;
    }
    List<Predicate<JsonNode>> all = new ArrayList<>();
    for (String req : splitTopLevel(selector)) {
      all.add(labelRequirement(req.trim()));
    }
    return o -> all.stream().allMatch(p -> p.test(o));
  }

  private static Predicate<JsonNode> labelRequirement(String req) {
    java.util.regex.Matcher set =
        java.util.regex.Pattern.compile("^(\\S+)\\s+(in|notin)\\s*\\((.*)\\)$").matcher(req);
    if (set.matches()) {
      String key = set.group(1);
      Set<String> values = new java.util.HashSet<>();
      for (String v : set.group(3).split(",")) {
        values.add(v.trim());
      }
      boolean in = set.group(2).equals("in");
      return o -> {
        JsonNode v = o.path("metadata").path("labels").get(key);
        return in ? v != null && values.contains(v.asText()) : v == null || !values.contains(v.asText());
      };
    }
    int ne = req.indexOf("!=");
    if (ne > 0) {
      String key = req.substring(0, ne).trim();
      String value = req.substring(ne + 2).trim();
      return o -> {
        JsonNode v = o.path("metadata").path("labels").get(key);
        return v == null || !v.asText().equals(value);
      };
    }
    int eq = req.indexOf('=');
    if (eq > 0) {
      String key = req.substring(0, eq).trim();
      String value = req.substring(req.startsWith("==", eq) ? eq + 2 : eq + 1).trim();
      return o -> {
        JsonNode v = o.path("metadata").path("labels").get(key);
        return v != null && v.asText().equals(value);
      };
    }
    if (req.startsWith("!")) {
      String key = req.substring(1).trim();
      return o -> !o.path("metadata").path("labels").has(key);
    }
    if (req.isEmpty()) {
      return o -> true;
    }
    return o -> o.path("metadata").path("labels").has(req);
  }

  static Predicate<JsonNode> fields(String selector) {
    if (selector == null || selector.isBlank()) {
      return o -> true;
    }
    List<Predicate<JsonNode>> all = new ArrayList<>();
    for (String req : splitEscaped(selector)) {
      int ne = req.indexOf("!=");
      boolean negate = ne > 0;
      int eq = negate ? ne : req.indexOf('=');
      if (eq <= 0) {
        throw ApiException.badRequest("invalid field selector requirement: \"" + req + "\"");
      }
      String field = req.substring(0, eq).trim();
      int start = negate ? eq + 2 : req.startsWith("==", eq) ? eq + 2 : eq + 1;
      String value = unescape(req.substring(start));
      all.add(o -> negate != value.equals(field(o, field)));
    }
    return o -> all.stream().allMatch(p -> p.test(o));
  }

  /** The text at a dotted field path, "" when absent, as field selectors compare it. */
  static String field(JsonNode o, String dotted) {
    JsonNode n = o;
    for (String part : dotted.split("\\.")) {
      n = n.path(part);
    }
    return n.isMissingNode() || n.isNull() ? "" : n.asText();
  }

  private static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (c == ',' && depth == 0) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  private static List<String> splitEscaped(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        cur.append(c).append(s.charAt(++i));
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        c = s.charAt(++i);
      }
      out.append(c);
    }
    return out.toString();
  }
}
