package io.hexgate.observer.filter;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.HTTP;
import io.hexgate.contract.hubble.flow.HTTPHeader;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** http_status_code, http_method, http_path, http_url and http_header, over l7.http. */
final class HttpMatchers {
  private static final Pattern FULL_CODE = Pattern.compile("[1-5][0-9]{2}");
  private static final Pattern CODE_PREFIX = Pattern.compile("[1-5][0-9]?\\+");

  private HttpMatchers() {}

  /** {@code 404} is exact, {@code 5+} and {@code 40+} are prefixes; a record without a code (a request) never matches. */
  static Predicate<Flow> statusCode(List<String> values, String where, FilterErrors errors) {
    List<String> prefixes = new ArrayList<>();
    for (String value : values) {
      if (FULL_CODE.matcher(value).matches()) {
        prefixes.add(value);
      } else if (CODE_PREFIX.matcher(value).matches()) {
        prefixes.add(value.substring(0, value.length() - 1));
      } else {
        errors.add(where, "http_status_code", "invalid status code " + Quote.of(value)
            + "; must be a code like 404 or a prefix like 5+ or 40+");
      }
    }
    String[] all = prefixes.toArray(String[]::new);
    return flow -> {
      int code = flow.getL7().getHttp().getCode();
      if (!flow.getL7().hasHttp() || code == 0) {
        return false;
      }
      String text = code < 100 ? String.format("%03d", code) : Integer.toString(code);
      for (String prefix : all) {
        if (text.startsWith(prefix)) {
          return true;
        }
      }
      return false;
    };
  }

  static Predicate<Flow> method(List<String> values) {
    String[] methods = values.toArray(String[]::new);
    return flow -> {
      String method = flow.getL7().getHttp().getMethod();
      if (method.isEmpty()) {
        return false;
      }
      for (String m : methods) {
        if (m.equalsIgnoreCase(method)) {
          return true;
        }
      }
      return false;
    };
  }

  /** Regexes searched (not anchored) in the path of the request URL. */
  static Predicate<Flow> path(List<String> values, String where, FilterErrors errors) {
    Pattern[] patterns = Regexes.compile(values, where, "http_path", errors);
    return flow -> {
      String url = flow.getL7().getHttp().getUrl();
      String path = url.isEmpty() ? null : requestPath(url);
      return path != null && Regexes.anyFinds(patterns, path);
    };
  }

  /** Regexes searched (not anchored) in the full URL. */
  static Predicate<Flow> url(List<String> values, String where, FilterErrors errors) {
    Pattern[] patterns = Regexes.compile(values, where, "http_url", errors);
    return flow -> {
      String url = flow.getL7().getHttp().getUrl();
      return !url.isEmpty() && Regexes.anyFinds(patterns, url);
    };
  }

  /** Any header with an equal key and value; an empty key or value in the filter stands for any. */
  static Predicate<Flow> header(List<HTTPHeader> values) {
    HTTPHeader[] wanted = values.toArray(HTTPHeader[]::new);
    return flow -> {
      HTTP http = flow.getL7().getHttp();
      for (HTTPHeader h : http.getHeadersList()) {
        for (HTTPHeader w : wanted) {
          if ((w.getKey().isEmpty() || w.getKey().equals(h.getKey()))
              && (w.getValue().isEmpty() || w.getValue().equals(h.getValue()))) {
            return true;
          }
        }
      }
      return false;
    };
  }

  /** The decoded path of an absolute URL or an absolute path, as Go's url.ParseRequestURI gives it; null if neither. */
  static String requestPath(String url) {
    try {
      URI uri = new URI(url);
      if (!uri.isAbsolute() && !url.startsWith("/")) {
        return null;
      }
      return uri.getPath() == null ? "" : uri.getPath();
    } catch (URISyntaxException e) {
      return null; // nothing to match a path against, as in Hubble
    }
  }
}
