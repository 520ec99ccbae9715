package io.hexgate.operator.policy;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The parts of an HTTP request L7 rules look at; header names are case-insensitive. */
public record HttpRequest(String method, String path, Map<String, String> headers) {
  public HttpRequest {
    TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (headers != null) {
      h.putAll(headers);
    }
    headers = java.util.Collections.unmodifiableMap(h);
    method = method == null ? "GET" : method.toUpperCase(Locale.ROOT);
    path = path == null ? "/" : path;
  }

  public String header(String name) {
    return headers.get(name);
  }

  @Override
  public String toString() {
    return method + " " + path + (headers.isEmpty() ? "" : " " + headers);
  }
}
