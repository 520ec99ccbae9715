package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The part of CEL that CRD {@code x-kubernetes-validations} rules about field presence use:
 * {@code has(self.a.b)}, {@code !}, {@code &&}, {@code ||}, parentheses, {@code true} and {@code false}.
 * A rule using anything else is not evaluated (the API server would), and {@link #evaluate} says so.
 */
final class CelRules {
  private final List<String> tokens;
  private int at;

  private CelRules(List<String> tokens) {
    this.tokens = tokens;
  }

  /** The rule's value for {@code self}, or empty when the rule is outside the supported subset. */
  static Optional<Boolean> evaluate(String rule, JsonNode self) {
    try {
      CelRules p = new CelRules(tokenize(rule));
      boolean v = p.or(self);
      return p.at == p.tokens.size() ? Optional.of(v) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private boolean or(JsonNode self) {
    boolean v = and(self);
    while (peek("||")) {
      at++;
      boolean right = and(self);
      v = v || right;
    }
    return v;
  }

  private boolean and(JsonNode self) {
    boolean v = unary(self);
    while (peek("&&")) {
      at++;
      boolean right = unary(self);
      v = v && right;
    }
    return v;
  }

  private boolean unary(JsonNode self) {
    if (peek("!")) {
      at++;
      return !unary(self);
    }
    if (peek("(")) {
      at++;
      boolean v = or(self);
      expect(")");
      return v;
    }
    if (peek("true") || peek("false")) {
      return Boolean.parseBoolean(tokens.get(at++));
    }
    if (peek("has")) {
      at++;
      expect("(");
      String path = next();
      expect(")");
      if (!path.startsWith("self.")) {
        throw new IllegalArgumentException(path);
      }
      String[] parts = path.substring("self.".length()).split("\\.");
      JsonNode n = self;
      for (int i = 0; i < parts.length - 1; i++) {
        n = n.path(parts[i]);
      }
      return n.isObject() && n.has(parts[parts.length - 1]);
    }
    throw new IllegalArgumentException("unsupported at " + at);
  }

  private boolean peek(String t) {
    return at < tokens.size() && tokens.get(at).equals(t);
  }

  private void expect(String t) {
    if (!peek(t)) {
      throw new IllegalArgumentException("expected " + t);
    }
    at++;
  }

  private String next() {
    if (at >= tokens.size()) {
      throw new IllegalArgumentException("unexpected end");
    }
    return tokens.get(at++);
  }

  private static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (s.startsWith("&&", i) || s.startsWith("||", i)) {
        out.add(s.substring(i, i + 2));
        i += 2;
      } else if (c == '!' || c == '(' || c == ')') {
        out.add(String.valueOf(c));
        i++;
      } else if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == '.')) {
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      } else {
        throw new IllegalArgumentException("unsupported character " + c);
      }
    }
    return out;
  }
}
