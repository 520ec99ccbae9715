package io.hexgate.operator.policy;

import io.hexgate.operator.policy.api.HeaderMatch;
import io.hexgate.operator.policy.api.HttpRule;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A compiled HTTP rule: every field set must match, method, path and host as regexes over the whole
 * value (as Envoy's safe_regex does), header names case-insensitively.
 */
public record HttpMatch(
    String method, String path, String host, List<String> headers, List<Header> headerMatches) {

  /** The rule that matches every request, added where an L4-only rule covers an L7 port. */
  public static final HttpMatch ANY = new HttpMatch(null, null, null, List.of(), List.of());

  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();

  /**
   * A header rule: name, and the exact value when given (null: presence is enough). With a mismatch action
   * (non-null) a missing or different header does not refuse the request: the proxy logs it, or adds,
   * deletes or replaces the header.
   */
  public record Header(String name, String value, boolean fromSecret, HeaderMatch.Mismatch mismatch) {}

  public HttpMatch {
    headers = headers == null ? List.of() : List.copyOf(headers);
    headerMatches = headerMatches == null ? List.of() : List.copyOf(headerMatches);
  }

  public static HttpMatch of(HttpRule r) {
    List<Header> hm =
        r.headerMatches == null
            ? List.of()
            : r.headerMatches.stream().map(HttpMatch::header).toList();
    return new HttpMatch(r.method, r.path, r.host, r.headers, hm);
  }

  private static Header header(HeaderMatch m) {
    return new Header(m.name, m.value, m.secret != null, mismatch(m.mismatch));
  }

  /** The validator rejects unknown names; were one to get here, the header would restrict access. */
  private static HeaderMatch.Mismatch mismatch(String name) {
    if (name == null) {
      return null;
    }
    try {
      return HeaderMatch.Mismatch.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public boolean matches(HttpRequest req) {
    if (method != null && !fullMatch(method, req.method())) {
      return false;
    }
    if (path != null && !fullMatch(path, req.path())) {
      return false;
    }
    if (host != null && !fullMatch(host, req.header("host") == null ? "" : req.header("host"))) {
      return false;
    }
    for (String h : headers) {
      if (!headerPresent(h, req)) {
        return false;
      }
    }
    for (Header h : headerMatches) {
      if (h.mismatch() != null) {
        // a mismatch action (LOG, ADD, DELETE, REPLACE) makes the proxy act on the request instead of
        // refusing it: only headerMatches without one restrict access
        continue;
      }
      String v = req.header(h.name());
      // A value kept in a Secret is not visible offline: fail closed.
      if (v == null || h.fromSecret() || (h.value() != null && !h.value().equals(v))) {
        return false;
      }
    }
    return true;
  }

  /** {@code "Name"} requires presence; {@code "Name: value"} an exact value. */
  private static boolean headerPresent(String spec, HttpRequest req) {
    int sp = spec.indexOf(' ');
    String name = sp < 0 ? spec : spec.substring(0, sp);
    if (name.endsWith(":")) {
      name = name.substring(0, name.length() - 1);
    }
    String v = req.header(name);
    if (sp < 0) {
      return v != null;
    }
    return spec.substring(sp + 1).trim().equals(v);
  }

  private static boolean fullMatch(String regex, String value) {
    return PATTERNS.computeIfAbsent(regex, Pattern::compile).matcher(value).matches();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    if (method != null) {
      b.append("method=").append(method).append(' ');
    }
    if (path != null) {
      b.append("path=").append(path).append(' ');
    }
    if (host != null) {
      b.append("host=").append(host).append(' ');
    }
    if (!headers.isEmpty()) {
      b.append("headers=").append(headers).append(' ');
    }
    if (!headerMatches.isEmpty()) {
      b.append("headerMatches=").append(headerMatches).append(' ');
    }
    return b.toString().trim().toLowerCase(Locale.ROOT).isEmpty() ? "{any}" : b.toString().trim() + "}";
  }
}
