package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.HeaderMatch;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.MismatchAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cilium's HTTP rules, compiled once per rule list: a request passes when any rule matches (an empty list
 * passes everything); within a rule every field set must match. Method, path and host are regexes over the
 * whole value (Envoy's safe_regex), the path being the request target with its query (Envoy's
 * {@code :path}).
 */
public final class HttpRules {
  private static final Logger log = LoggerFactory.getLogger(HttpRules.class);
  /** Policies change rarely and share rule lists across connections: compile each list once. */
  private static final Map<List<HttpMatch>, HttpRules> CACHE = new ConcurrentHashMap<>();

  private static final int CACHE_LIMIT = 4096;

  /** What a request gets: whether it passes, and whether its rule asked for an {@code Upgrade} header. */
  public record Decision(boolean allowed, boolean upgradeAllowed) {
    static final Decision DENIED = new Decision(false, false);
    static final Decision ALLOWED = new Decision(true, false);
  }

  private final List<Rule> rules;

  private HttpRules(List<Rule> rules) {
    this.rules = rules;
  }

  /** The compiled rules of {@code matches}, shared with every earlier caller of the same list. */
  public static HttpRules compile(List<HttpMatch> matches) {
    HttpRules r = CACHE.get(matches);
    if (r != null) {
      return r;
    }
    if (CACHE.size() >= CACHE_LIMIT) {
      // rule lists of policies long gone: start over rather than grow without bound
      CACHE.clear();
    }
    return CACHE.computeIfAbsent(List.copyOf(matches), HttpRules::build);
  }

  private static HttpRules build(List<HttpMatch> matches) {
    List<Rule> rules = new ArrayList<>(matches.size());
    for (HttpMatch m : matches) {
      rules.add(Rule.of(m));
    }
    return new HttpRules(List.copyOf(rules));
  }

  /**
   * Judges {@code request} and, when it passes, applies the mismatch actions (add, delete, replace a
   * header) of the first rule that let it through, to its headers.
   */
  Decision decide(RequestHead request) {
    if (rules.isEmpty()) {
      return Decision.ALLOWED;
    }
    for (Rule r : rules) {
      if (r.matches(request)) {
        r.act(request);
        return r.requiresUpgrade ? new Decision(true, true) : Decision.ALLOWED;
      }
    }
    return Decision.DENIED;
  }

  private record Header(String name, String value, boolean fromSecret, MismatchAction action) {
    /** Whether the request carries the header as the rule wants it. */
    boolean present(HeaderList h) {
      return value == null ? h.contains(name) : h.contains(name, value);
    }
  }

  /**
   * A regex over the whole value; one without any metacharacter (as {@code POST} or {@code /v1/items}) is
   * compared as a string, which matches exactly the same values without a {@link java.util.regex.Matcher}
   * per request.
   */
  private record FullMatch(String literal, Pattern pattern) {
    private static final String META = "\\^$.|?*+()[]{}";

    static FullMatch of(String regex) {
      if (regex == null) {
        return null;
      }
      for (int i = 0; i < regex.length(); i++) {
        if (META.indexOf(regex.charAt(i)) >= 0) {
          return new FullMatch(null, Pattern.compile(regex));
        }
      }
      return new FullMatch(regex, null);
    }

    boolean matches(String value) {
      return literal != null ? literal.equals(value) : pattern.matcher(value).matches();
    }
  }

  private record Rule(FullMatch method, FullMatch path, FullMatch host, List<Header> required, List<Header> actions,
      boolean requiresUpgrade) {

    static Rule of(HttpMatch m) {
      List<Header> required = new ArrayList<>();
      List<Header> actions = new ArrayList<>();
      for (String spec : m.getHeadersList()) {
        required.add(headerSpec(spec));
      }
      for (HeaderMatch hm : m.getHeaderMatchesList()) {
        Header h = new Header(hm.getName(), hm.hasValue() ? hm.getValue() : null, hm.getFromSecret(),
            hm.getMismatch());
        // a value kept in a Secret is not visible to the agent: the rule can never match (fail closed)
        if (h.fromSecret() || h.action() == MismatchAction.MISMATCH_ACTION_NONE
            || h.action() == MismatchAction.UNRECOGNIZED) {
          required.add(h);
        } else {
          actions.add(h);
        }
      }
      boolean upgrade = required.stream().anyMatch(h -> h.name().equalsIgnoreCase("upgrade"));
      return new Rule(regex(m.hasMethod() ? m.getMethod() : null), regex(m.hasPath() ? m.getPath() : null),
          regex(m.hasHost() ? m.getHost() : null), List.copyOf(required), List.copyOf(actions), upgrade);
    }

    /** {@code "Name"}: presence; {@code "Name: value"} (split at the first space, trailing ':' dropped). */
    private static Header headerSpec(String spec) {
      int sp = spec.indexOf(' ');
      String name = sp < 0 ? spec : spec.substring(0, sp);
      if (name.endsWith(":")) {
        name = name.substring(0, name.length() - 1);
      }
      String value = sp < 0 ? null : spec.substring(sp + 1).trim();
      return new Header(name, value, false, MismatchAction.MISMATCH_ACTION_NONE);
    }

    private static FullMatch regex(String s) {
      return FullMatch.of(s);
    }

    boolean matches(RequestHead req) {
      if (method != null && !method.matches(req.method)) {
        return false;
      }
      if (path != null && !path.matches(RequestTarget.path(req.target))) {
        return false;
      }
      if (host != null && !host.matches(RequestTarget.authority(req))) {
        return false;
      }
      HeaderList h = req.headers;
      for (Header r : required) {
        if (r.fromSecret() || !r.present(h)) {
          return false;
        }
      }
      return true;
    }

    void act(RequestHead req) {
      HeaderList h = req.headers;
      for (Header a : actions) {
        if (a.present(h)) {
          continue;
        }
        switch (a.action()) {
          case MISMATCH_ACTION_LOG ->
              log.info("request {} {}: header {} does not match the policy", req.method, req.target, a.name());
          case MISMATCH_ACTION_ADD -> {
            if (a.value() != null) {
              h.add(a.name(), a.value());
            }
          }
          case MISMATCH_ACTION_DELETE -> h.remove(a.name());
          case MISMATCH_ACTION_REPLACE -> {
            if (a.value() != null) {
              h.set(a.name(), a.value());
            }
          }
          default -> throw new IllegalStateException("unexpected action " + a.action());
        }
      }
    }
  }

  /** Envoy's view of a request target: {@code :path} and {@code :authority}. */
  static final class RequestTarget {
    private RequestTarget() {}

    /** The path with its query; for an absolute-form target, without scheme and authority. */
    static String path(String uri) {
      if (uri.startsWith("/")) {
        return uri;
      }
      int scheme = uri.indexOf("://");
      if (scheme < 0) {
        return uri;
      }
      int slash = uri.indexOf('/', scheme + 3);
      return slash < 0 ? "/" : uri.substring(slash);
    }

    /** The absolute-form target's authority, else the Host header, else empty. */
    static String authority(RequestHead req) {
      String uri = req.target;
      if (!uri.startsWith("/")) {
        int scheme = uri.indexOf("://");
        if (scheme > 0) {
          int end = uri.indexOf('/', scheme + 3);
          return uri.substring(scheme + 3, end < 0 ? uri.length() : end).toLowerCase(Locale.ROOT);
        }
      }
      String host = req.headers.get("host");
      return host == null ? "" : host;
    }
  }
}
