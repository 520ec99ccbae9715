package io.hexgate.lab.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A request's path split into its parts, and its decoded query parameters. */
record ApiRequest(String method, String rawPath, String path, List<String> segments, Map<String, String> params) {

  static ApiRequest of(String method, String raw) {
    int q = raw.indexOf('?');
    String path = q < 0 ? raw : raw.substring(0, q);
    while (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    Map<String, String> params = new LinkedHashMap<>();
    if (q >= 0) {
      for (String kv : raw.substring(q + 1).split("&")) {
        if (kv.isEmpty()) {
          continue;
        }
        int eq = kv.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        params.put(k, v);
      }
    }
    List<String> segments = new ArrayList<>(Arrays.asList(path.split("/")));
    segments.removeIf(String::isEmpty);
    return new ApiRequest(method, raw, path, List.copyOf(segments), params);
  }

  String param(String name) {
    return params.get(name);
  }
}
