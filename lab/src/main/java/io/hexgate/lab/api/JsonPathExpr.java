package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The Kubernetes JSONPath subset CRD printer columns use: {@code .a.b}, {@code ['a.b']}, {@code [0]},
 * {@code [*]} and filters {@code [?(@.type=='Valid')]} (with {@code ==}, {@code !=} or existence).
 */
final class JsonPathExpr {
  private interface Step {
    void apply(JsonNode in, List<JsonNode> out);
  }

  private final String source;
  private final List<Step> steps = new ArrayList<>();

  private JsonPathExpr(String source) {
    this.source = source;
  }

  static JsonPathExpr parse(String expr) {
    String s = expr.trim();
    if (s.startsWith("{") && s.endsWith("}")) {
      s = s.substring(1, s.length() - 1).trim();
    }
    if (s.startsWith("$")) {
      s = s.substring(1);
    }
    JsonPathExpr p = new JsonPathExpr(expr);
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '.') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != '.' && s.charAt(j) != '[') {
          j++;
        }
        String name = s.substring(i + 1, j);
        if (!name.isEmpty()) {
          p.steps.add(field(name));
        }
        i = j;
      } else if (c == '[') {
        int j = closing(s, i);
        p.steps.add(bracket(s.substring(i + 1, j).trim(), expr));
        i = j + 1;
      } else {
        throw new IllegalArgumentException("unexpected '" + c + "' at " + i + " in JSONPath " + expr);
      }
    }
    return p;
  }

  private static int closing(String s, int open) {
    boolean quoted = false;
    char quote = 0;
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted) {
        if (c == quote) {
          quoted = false;
        }
      } else if (c == '\'' || c == '"') {
        quoted = true;
        quote = c;
      } else if (c == ']') {
        return i;
      }
    }
    throw new IllegalArgumentException("unclosed [ in JSONPath " + s);
  }

  private static Step field(String name) {
    return (in, out) -> {
      if (name.equals("*")) {
        in.forEach(out::add);
      } else if (in.has(name)) {
        out.add(in.get(name));
      }
    };
  }

  private static Step bracket(String inner, String expr) {
    if (inner.equals("*")) {
      return (in, out) -> in.forEach(out::add);
    }
    if (inner.startsWith("'") || inner.startsWith("\"")) {
      return field(inner.substring(1, inner.length() - 1));
    }
    if (inner.startsWith("?(") && inner.endsWith(")")) {
      String cond = inner.substring(2, inner.length() - 1).trim();
      return filter(cond, expr);
    }
    int index = Integer.parseInt(inner);
    return (in, out) -> {
      if (in.isArray()) {
        int i = index < 0 ? in.size() + index : index;
        if (i >= 0 && i < in.size()) {
          out.add(in.get(i));
        }
      }
    };
  }

  private static Step filter(String cond, String expr) {
    String op = cond.contains("==") ? "==" : cond.contains("!=") ? "!=" : null;
    String left = op == null ? cond : cond.substring(0, cond.indexOf(op)).trim();
    if (!left.startsWith("@")) {
      throw new IllegalArgumentException("filter must start with @ in JSONPath " + expr);
    }
    JsonPathExpr path = parse(left.substring(1));
    String right = op == null ? null : cond.substring(cond.indexOf(op) + 2).trim();
    String literal =
        right == null ? null : right.startsWith("'") || right.startsWith("\"") ? right.substring(1, right.length() - 1) : right;
    return (in, out) -> {
      if (!in.isArray()) {
        return;
      }
      for (JsonNode item : in) {
        List<JsonNode> found = path.find(item);
        boolean keep;
        if (op == null) {
          keep = !found.isEmpty();
        } else {
          boolean eq = !found.isEmpty() && found.get(0).asText().equals(literal);
          keep = op.equals("==") ? eq : !eq;
        }
        if (keep) {
          out.add(item);
        }
      }
    };
  }

  List<JsonNode> find(JsonNode root) {
    List<JsonNode> cur = List.of(root);
    for (Step step : steps) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode n : cur) {
        step.apply(n, next);
      }
      cur = next;
    }
    return cur;
  }

  @Override
  public String toString() {
    return source;
  }
}
