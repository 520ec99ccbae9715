package io.hexgate.observer.filter;

import io.hexgate.observer.filter.LabelSelector.Operator;
import io.hexgate.observer.filter.LabelSelector.Requirement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Kubernetes' label selector grammar, with Cilium's {@code source:} prefix allowed on keys. */
final class LabelSelectorParser {
  private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  private static final String SPECIAL = "!=,()<>";

  private final String text;
  private int pos;

  LabelSelectorParser(String text) {
    this.text = text;
  }

  List<Requirement> requirements() {
    List<Requirement> requirements = new ArrayList<>();
    if (peek().isEmpty()) {
      return requirements;
    }
    while (true) {
      requirements.add(requirement());
      String next = next();
      if (next.isEmpty()) {
        return requirements;
      }
      if (!next.equals(",")) {
        throw problem("found '" + next + "', expected ',' or end of selector");
      }
      String after = peek();
      if (after.isEmpty() || isSymbol(after) && !after.equals("!")) {
        throw problem("found '" + (after.isEmpty() ? "end of selector" : after) + "', expected a key after ','");
      }
    }
  }

  private Requirement requirement() {
    String token = next();
    boolean negated = token.equals("!");
    if (negated) {
      token = next();
    }
    if (token.isEmpty() || isSymbol(token)) {
      throw problem("found '" + (token.isEmpty() ? "end of selector" : token) + "', expected a key");
    }
    int colon = token.indexOf(':');
    String source = colon < 0 ? null : token.substring(0, colon);
    String key = colon < 0 ? token : token.substring(colon + 1);
    checkKey(token, source, key);
    String after = peek();
    if (negated || after.isEmpty() || after.equals(",")) {
      return new Requirement(source, key, negated ? Operator.DOES_NOT_EXIST : Operator.EXISTS, List.of());
    }
    String op = next();
    return switch (op) {
      case "=", "==" -> new Requirement(source, key, Operator.EQUALS, List.of(exactValue()));
      case "!=" -> new Requirement(source, key, Operator.NOT_EQUALS, List.of(exactValue()));
      case "in" -> new Requirement(source, key, Operator.IN, valueSet(op));
      case "notin" -> new Requirement(source, key, Operator.NOT_IN, valueSet(op));
      case ">" -> new Requirement(source, key, Operator.GREATER_THAN, List.of(number()));
      case "<" -> new Requirement(source, key, Operator.LESS_THAN, List.of(number()));
      default -> throw problem("found '" + op + "', expected one of =, ==, !=, in, notin, <, >");
    };
  }

  private String exactValue() {
    String token = peek();
    if (token.isEmpty() || token.equals(",")) {
      return "";
    }
    next();
    if (isSymbol(token)) {
      throw problem("found '" + token + "', expected a value");
    }
    return checkValue(token);
  }

  private String number() {
    String token = next();
    try {
      Long.parseLong(token);
      return token;
    } catch (NumberFormatException e) {
      throw problem("for '<' and '>' the value must be an integer, got '" + token + "'");
    }
  }

  private List<String> valueSet(String op) {
    if (!next().equals("(")) {
      throw problem("expected '(' after '" + op + "'");
    }
    List<String> values = new ArrayList<>();
    boolean expectValue = true;
    while (true) {
      String token = next();
      if (token.equals(")")) {
        if (expectValue && !values.isEmpty()) {
          values.add(""); // "(a,)" holds an empty value, as Kubernetes reads it
        }
        break;
      } else if (token.equals(",")) {
        if (expectValue) {
          values.add("");
        }
        expectValue = true;
      } else if (token.isEmpty() || isSymbol(token) || !expectValue) {
        throw problem("found '" + (token.isEmpty() ? "end of selector" : token) + "' in the values of '" + op + "'");
      } else {
        values.add(checkValue(token));
        expectValue = false;
      }
    }
    if (values.isEmpty()) {
      throw problem("for '" + op + "' the set of values cannot be empty");
    }
    return values;
  }

  private void checkKey(String token, String source, String key) {
    if (source != null && !NAME.matcher(source).matches()) {
      throw problem("invalid label source in key '" + token + "'");
    }
    int slash = key.indexOf('/');
    String name = slash < 0 ? key : key.substring(slash + 1);
    String prefix = slash < 0 ? null : key.substring(0, slash);
    boolean valid = name.length() <= 63 && NAME.matcher(name).matches()
        && (prefix == null || prefix.length() <= 253 && DNS_SUBDOMAIN.matcher(prefix).matches());
    if (!valid) {
      throw problem("invalid label key '" + token + "'");
    }
  }

  private String checkValue(String value) {
    if (value.length() > 63 || !VALUE.matcher(value).matches()) {
      throw problem("invalid label value '" + value + "'");
    }
    return value;
  }

  private IllegalArgumentException problem(String message) {
    return new IllegalArgumentException(message);
  }

  private static boolean isSymbol(String token) {
    return !token.isEmpty() && SPECIAL.indexOf(token.charAt(0)) >= 0;
  }

  private String peek() {
    int saved = pos;
    String token = next();
    pos = saved;
    return token;
  }

  /** The next token: a symbol ({@code ! = == != , ( ) < >}), a word, or "" at the end. */
  private String next() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
    if (pos == text.length()) {
      return "";
    }
    char c = text.charAt(pos);
    if (SPECIAL.indexOf(c) >= 0) {
      boolean twoChars = (c == '!' || c == '=') && pos + 1 < text.length() && text.charAt(pos + 1) == '=';
      int start = pos;
      pos += twoChars ? 2 : 1;
      return text.substring(start, pos);
    }
    int start = pos;
    while (pos < text.length() && !Character.isWhitespace(text.charAt(pos)) && SPECIAL.indexOf(text.charAt(pos)) < 0) {
      pos++;
    }
    return text.substring(start, pos);
  }
}
