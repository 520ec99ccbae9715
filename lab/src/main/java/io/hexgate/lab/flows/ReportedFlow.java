package io.hexgate.lab.flows;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A flow read back from a {@link FlowLine}, the one form in which {@code hexgate lab flows} and the lab's
 * flow server give flows to another process: who sent it to whom, what it was, its verdict and why, and
 * which policies decided it.
 *
 * @param source the source pod ({@code namespace/name}), or its address when it is no pod; for an HTTP
 *     response the server, although the line shows the client first
 * @param type {@code TCP}, {@code UDP}, ... for the datapath's flows; {@code http-request} or
 *     {@code http-response} for the L7 proxy's
 * @param verdict {@code FORWARDED}, {@code REDIRECTED} (sent to the L7 proxy) or {@code DROPPED}
 * @param dropReason the datapath's drop reason; 0 when forwarded and for the L7 proxy's flows
 * @param http what the L7 proxy saw of the request or response; empty for the datapath's flows
 * @param policies the policies that decided, as {@code namespace/name} (just the name when cluster-wide)
 */
public record ReportedFlow(String source, String destination, int destinationPort, String type, String verdict, int dropReason,
    Optional<Http> http, List<String> policies, String node) {
  private static final Pattern LINE = Pattern.compile(
      "\\S+ \\S+ \\S+  (?<left>[^\\s:]+)(?::(?<lport>\\d+))? \\(ID:\\d+\\) (?<arrow>->|<-) (?<right>[^\\s:]+)(?::(?<rport>\\d+))? \\(ID:\\d+\\)"
          + "  (?<type>\\S+) \\S+  (?<verdict>FORWARDED|REDIRECTED|DROPPED)(?: \\((?<detail>.*)\\))?(?:  policy (?<policies>\\S+))?"
          + "  \\[(?<node>[^\\]]*)\\]");
  private static final Pattern DROP = Pattern.compile(".*, reason (?<reason>\\d+)");
  private static final Pattern REQUEST = Pattern.compile("(?<protocol>HTTP/\\S+) (?<method>\\S+) (?<url>\\S+)");
  private static final Pattern RESPONSE = Pattern.compile("(?<protocol>HTTP/\\S+) (?<code>\\d+) \\d+ms \\((?<method>\\S+) (?<url>\\S+)\\)");

  /** An HTTP request or response as the L7 proxy reported it. @param code the status; 0 for a request */
  public record Http(String protocol, int code, String method, String url) {}

  public ReportedFlow {
    policies = List.copyOf(policies);
  }

  /** The flow a line shows; empty for anything else (a blank line, a message). */
  public static Optional<ReportedFlow> parse(String line) {
    Matcher m = LINE.matcher(line);
    if (!m.matches()) {
      return Optional.empty();
    }
    boolean reply = m.group("arrow").equals("<-");
    String dport = reply ? m.group("lport") : m.group("rport");
    String type = m.group("type");
    String detail = m.group("detail") == null ? "" : m.group("detail");
    int reason = 0;
    Optional<Http> http = Optional.empty();
    if (type.startsWith("http-")) {
      http = http(type, detail);
    } else {
      Matcher drop = DROP.matcher(detail);
      reason = drop.matches() ? Integer.parseInt(drop.group("reason")) : 0;
    }
    String policies = m.group("policies");
    return Optional.of(new ReportedFlow(reply ? m.group("right") : m.group("left"), reply ? m.group("left") : m.group("right"),
        dport == null ? 0 : Integer.parseInt(dport), type, m.group("verdict"), reason, http,
        policies == null ? List.of() : Arrays.asList(policies.split(",")), m.group("node")));
  }

  private static Optional<Http> http(String type, String detail) {
    boolean response = type.equals("http-response");
    Matcher h = (response ? RESPONSE : REQUEST).matcher(detail);
    if (!h.matches()) {
      return Optional.empty();
    }
    return Optional.of(new Http(h.group("protocol"), response ? Integer.parseInt(h.group("code")) : 0, h.group("method"), h.group("url")));
  }

  public boolean dropped() {
    return verdict.equals("DROPPED");
  }

  /** An HTTP request the L7 proxy judged. */
  public boolean httpRequest() {
    return type.equals("http-request");
  }
}
