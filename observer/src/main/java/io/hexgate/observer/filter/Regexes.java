package io.hexgate.observer.filter;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Hubble's regex fields (dns_query, http_path, http_url): compiled once, searched like Go's MatchString. */
final class Regexes {
  private Regexes() {}

  static Pattern[] compile(List<String> values, String where, String field, FilterErrors errors) {
    Pattern[] patterns = new Pattern[values.size()];
    for (int i = 0; i < patterns.length; i++) {
      try {
        patterns[i] = Pattern.compile(values.get(i));
      } catch (PatternSyntaxException e) {
        errors.add(where, field, "invalid regular expression " + Quote.of(values.get(i)) + ": " + e.getDescription());
        patterns[i] = null;
      }
    }
    return patterns;
  }

  static boolean anyFinds(Pattern[] patterns, String text) {
    for (Pattern p : patterns) {
      if (p.matcher(text).find()) {
        return true;
      }
    }
    return false;
  }
}
