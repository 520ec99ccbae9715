package io.hexgate.cli.observe;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.observer.ObserverGrpc;
import io.hexgate.observer.json.HubbleJson;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Stack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code hexgate observe}: {@code hubble observe} against Hexgate's relay (or an agent), the same flags, the
 * same request on the wire and the same output formats.
 */
@Command(
    name = "observe",
    mixinStandardHelpOptions = true,
    description = {
      "Observe flows of a Hubble server (Hexgate's relay on 4245 by default), as `hubble observe` does.",
      "Filter flags naming a value may be repeated (any value matches); different flags must all match;",
      "--not before a filter flag excludes what it matches. Exit code 0 when the stream ends, 1 on a server",
      "error, 2 for flags it refuses."
    })
public final class ObserveCommand implements Callable<Integer> {
  @Option(names = "--server", paramLabel = "ADDRESS",
      description = "Address of the Hubble server (default: $" + HubbleServer.ENV + ", else " + HubbleServer.DEFAULT + ").")
  String server;

  @Option(names = "--last", paramLabel = "N", description = "Get the last N flows of each node's buffer (default 20).")
  long last;

  @Option(names = "--first", paramLabel = "N", description = "Get the first N flows of each node's buffer.")
  long first;

  @Option(names = "--all", description = "Get all flows of the buffers.")
  boolean all;

  @Option(names = {"-f", "--follow"}, description = "Follow flows output.")
  boolean follow;

  @Option(names = "--since", paramLabel = "TIME", description = "Flows since a time: relative (3s, 4m, 1h43m) or a date (2006-01-02, RFC 3339 ...).")
  String since;

  @Option(names = "--until", paramLabel = "TIME", description = "Flows until a time, as for --since (ignored with --follow).")
  String until;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "compact",
      description = "compact, dict, json, jsonpb or table (default: ${DEFAULT-VALUE}).")
  String output;

  @Option(names = "--print-node-name", description = "Print the node name in the output.")
  boolean printNodeName;

  @Option(names = "--print-policy-names", description = "Print the policies that allowed or denied a policy verdict.")
  boolean printPolicyNames;

  @Option(names = "--numeric", description = "Print IP addresses rather than pod, service or DNS names.")
  boolean numeric;

  @Option(names = "--ip-translation", arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "BOOL",
      description = "Translate IP addresses to pod, service or DNS names (default: ${DEFAULT-VALUE}).")
  boolean ipTranslation;

  @Option(names = {"-D", "--debug"}, description = "Print debug output, e.g. every node status event of the relay.")
  boolean debug;

  @Option(names = {"-s", "--silent-errors"}, description = "Silently ignore errors and warnings.")
  boolean silentErrors;

  @Option(names = "--print-raw-filters", description = "Print the allowlist/denylist filters and exit without asking the server.")
  boolean printRawFilters;

  @Option(names = "--field-mask", split = ",", paramLabel = "PATH",
      description = "Fields of flow.Flow the server keeps (json output only), comma-separated.")
  List<String> fieldMask = new ArrayList<>();

  @Option(names = "--use-default-field-masks", arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "BOOL",
      description = "Ask only for the fields compact, dict and table output show (default: ${DEFAULT-VALUE}).")
  boolean useDefaultFieldMasks;

  @Option(names = "--allowlist", paramLabel = "JSON", description = "A JSON FlowFilter to add to the allowlist (repeatable).")
  List<String> allowlist = new ArrayList<>();

  @Option(names = "--denylist", paramLabel = "JSON", description = "A JSON FlowFilter to add to the denylist (repeatable).")
  List<String> denylist = new ArrayList<>();

  // The filter flags below are recorded in command-line order by FilterFlag (so that --not applies to the next
  // one, as in Hubble); their fields only declare the options and stay unset.
  @Option(names = "--not", arity = "0", parameterConsumer = FilterFlag.class, description = "Reverse the next filter: e.g. --not --from-ip 2.2.2.2.")
  boolean not;
  @Option(names = "--uuid", parameterConsumer = FilterFlag.class, paramLabel = "UUID", description = "The flow with this unique id, if any.")
  String uuid;
  @Option(names = "--node-name", parameterConsumer = FilterFlag.class, paramLabel = "NAME", description = "Flows observed on nodes matching the name (e.g. \"k8s*\").")
  String nodeName;
  @Option(names = "--node-label", parameterConsumer = FilterFlag.class, paramLabel = "SELECTOR", description = "Flows observed on nodes matching the label selector.")
  String nodeLabel;
  @Option(names = "--protocol", parameterConsumer = FilterFlag.class, paramLabel = "PROTO", description = "L4/L7 protocol: tcp, udp, sctp, icmp, icmpv4, icmpv6, vrrp, igmp, dns, http, kafka.")
  String protocol;
  @Option(names = "--tcp-flags", parameterConsumer = FilterFlag.class, paramLabel = "FLAGS", description = "TCP flags, all of them set (e.g. syn, syn,ack, fin).")
  String tcpFlags;
  @Option(names = {"-t", "--type"}, parameterConsumer = FilterFlag.class, paramLabel = "TYPE[:SUBTYPE]",
      description = "Event type: capture, drop, l7, policy-verdict, trace[:to-endpoint|from-endpoint|to-stack|...], trace-sock, or a number.")
  String type;
  @Option(names = "--verdict", parameterConsumer = FilterFlag.class, paramLabel = "VERDICT", description = "FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, TRACED or TRANSLATED.")
  String verdict;
  @Option(names = "--drop-reason-desc", parameterConsumer = FilterFlag.class, paramLabel = "REASON", description = "Drop reason name (e.g. POLICY_DENIED).")
  String dropReasonDesc;
  @Option(names = "--http-status", parameterConsumer = FilterFlag.class, paramLabel = "CODE", description = "HTTP status code or prefix (e.g. 404, 5+).")
  String httpStatus;
  @Option(names = "--http-method", parameterConsumer = FilterFlag.class, paramLabel = "METHOD", description = "HTTP method (e.g. get, post).")
  String httpMethod;
  @Option(names = "--http-path", parameterConsumer = FilterFlag.class, paramLabel = "REGEX", description = "HTTP path regular expression (e.g. \"/page/\\\\d+\").")
  String httpPath;
  @Option(names = "--http-url", parameterConsumer = FilterFlag.class, paramLabel = "REGEX", description = "HTTP URL regular expression.")
  String httpUrl;
  @Option(names = "--http-header", parameterConsumer = FilterFlag.class, paramLabel = "KEY:VALUE", description = "HTTP header key:value.")
  String httpHeader;
  @Option(names = "--trace-id", parameterConsumer = FilterFlag.class, paramLabel = "ID", description = "Trace id of the flow's trace context.")
  String traceId;
  @Option(names = "--from-fqdn", parameterConsumer = FilterFlag.class, paramLabel = "FQDN", description = "Flows from this DNS name (e.g. \"*.cilium.io\").")
  String fromFqdn;
  @Option(names = "--fqdn", parameterConsumer = FilterFlag.class, paramLabel = "FQDN", description = "Flows from or to this DNS name.")
  String fqdn;
  @Option(names = "--to-fqdn", parameterConsumer = FilterFlag.class, paramLabel = "FQDN", description = "Flows to this DNS name.")
  String toFqdn;
  @Option(names = "--from-ip", parameterConsumer = FilterFlag.class, paramLabel = "IP", description = "Flows from this IP address or CIDR.")
  String fromIp;
  @Option(names = "--snat-ip", parameterConsumer = FilterFlag.class, paramLabel = "IP", description = "Flows SNATed to this IP address or CIDR.")
  String snatIp;
  @Option(names = "--ip", parameterConsumer = FilterFlag.class, paramLabel = "IP", description = "Flows from or to this IP address or CIDR.")
  String ip;
  @Option(names = "--to-ip", parameterConsumer = FilterFlag.class, paramLabel = "IP", description = "Flows to this IP address or CIDR.")
  String toIp;
  @Option(names = {"-4", "--ipv4"}, arity = "0", parameterConsumer = FilterFlag.class, description = "Only IPv4 flows.")
  boolean ipv4;
  @Option(names = {"-6", "--ipv6"}, arity = "0", parameterConsumer = FilterFlag.class, description = "Only IPv6 flows.")
  boolean ipv6;
  @Option(names = "--ip-version", parameterConsumer = FilterFlag.class, paramLabel = "VERSION", description = "none, v4 or v6.")
  String ipVersion;
  @Option(names = "--from-pod", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]POD", description = "Flows from pods with this name prefix (namespace default if none).")
  String fromPod;
  @Option(names = "--pod", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]POD", description = "Flows from or to pods with this name prefix.")
  String pod;
  @Option(names = "--to-pod", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]POD", description = "Flows to pods with this name prefix.")
  String toPod;
  @Option(names = "--from-namespace", parameterConsumer = FilterFlag.class, paramLabel = "NS", description = "Flows from this namespace.")
  String fromNamespace;
  @Option(names = {"-n", "--namespace"}, parameterConsumer = FilterFlag.class, paramLabel = "NS", description = "Flows from or to this namespace.")
  String namespace;
  @Option(names = "--to-namespace", parameterConsumer = FilterFlag.class, paramLabel = "NS", description = "Flows to this namespace.")
  String toNamespace;
  @Option(names = "--from-all-namespaces", arity = "0", parameterConsumer = FilterFlag.class, description = "Flows from any namespace.")
  boolean fromAllNamespaces;
  @Option(names = {"-A", "--all-namespaces"}, arity = "0", parameterConsumer = FilterFlag.class, description = "Flows in any namespace.")
  boolean allNamespaces;
  @Option(names = "--to-all-namespaces", arity = "0", parameterConsumer = FilterFlag.class, description = "Flows to any namespace.")
  boolean toAllNamespaces;
  @Option(names = "--from-label", parameterConsumer = FilterFlag.class, paramLabel = "SELECTOR", description = "Flows from endpoints with these labels (e.g. key=value, reserved:world).")
  String fromLabel;
  @Option(names = {"-l", "--label"}, parameterConsumer = FilterFlag.class, paramLabel = "SELECTOR", description = "Flows from or to endpoints with these labels.")
  String label;
  @Option(names = "--to-label", parameterConsumer = FilterFlag.class, paramLabel = "SELECTOR", description = "Flows to endpoints with these labels.")
  String toLabel;
  @Option(names = "--from-service", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]SVC", description = "Flows from this service's addresses.")
  String fromService;
  @Option(names = "--service", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]SVC", description = "Flows from or to this service's addresses.")
  String service;
  @Option(names = "--to-service", parameterConsumer = FilterFlag.class, paramLabel = "[NS/]SVC", description = "Flows to this service's addresses.")
  String toService;
  @Option(names = "--from-port", parameterConsumer = FilterFlag.class, paramLabel = "PORT", description = "Flows with this source port.")
  String fromPort;
  @Option(names = "--port", parameterConsumer = FilterFlag.class, paramLabel = "PORT", description = "Flows with this source or destination port.")
  String port;
  @Option(names = "--to-port", parameterConsumer = FilterFlag.class, paramLabel = "PORT", description = "Flows with this destination port.")
  String toPort;
  @Option(names = "--from-workload", parameterConsumer = FilterFlag.class, paramLabel = "[KIND/]NAME", description = "Flows from endpoints of this workload.")
  String fromWorkload;
  @Option(names = "--workload", parameterConsumer = FilterFlag.class, paramLabel = "[KIND/]NAME", description = "Flows from or to endpoints of this workload.")
  String workload;
  @Option(names = "--to-workload", parameterConsumer = FilterFlag.class, paramLabel = "[KIND/]NAME", description = "Flows to endpoints of this workload.")
  String toWorkload;
  @Option(names = "--from-identity", parameterConsumer = FilterFlag.class, paramLabel = "ID", description = "Flows from this security identity (number or reserved name).")
  String fromIdentity;
  @Option(names = "--identity", parameterConsumer = FilterFlag.class, paramLabel = "ID", description = "Flows from or to this security identity.")
  String identity;
  @Option(names = "--to-identity", parameterConsumer = FilterFlag.class, paramLabel = "ID", description = "Flows to this security identity.")
  String toIdentity;
  @Option(names = "--traffic-direction", parameterConsumer = FilterFlag.class, paramLabel = "DIR", description = "ingress or egress.")
  String trafficDirection;
  @Option(names = "--from-cluster", parameterConsumer = FilterFlag.class, paramLabel = "NAME", description = "Flows from endpoints of this cluster.")
  String fromCluster;
  @Option(names = "--cluster", parameterConsumer = FilterFlag.class, paramLabel = "NAME", description = "Flows from or to endpoints of this cluster.")
  String cluster;
  @Option(names = "--to-cluster", parameterConsumer = FilterFlag.class, paramLabel = "NAME", description = "Flows to endpoints of this cluster.")
  String toCluster;
  @Option(names = "--cel-expression", parameterConsumer = FilterFlag.class, paramLabel = "EXPR", description = "A CEL expression over the flow.")
  String celExpression;
  @Option(names = "--interface", parameterConsumer = FilterFlag.class, paramLabel = "NAME", description = "Flows observed at this interface.")
  String iface;
  @Option(names = "--encrypted", arity = "0", parameterConsumer = FilterFlag.class, description = "Only encrypted flows.")
  boolean encrypted;
  @Option(names = "--unencrypted", arity = "0", parameterConsumer = FilterFlag.class, description = "Only unencrypted flows.")
  boolean unencrypted;

  /** The filter flags as given, in order: name without dashes and value. */
  final List<String[]> filterFlags = new ArrayList<>();

  /** Records a filter flag where it stands on the command line. */
  static final class FilterFlag implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
      OptionSpec option = (OptionSpec) argSpec;
      String name = option.longestName().substring(2);
      String value;
      if (option.arity().max() == 0) {
        value = name.equals("ipv4") ? "v4" : name.equals("ipv6") ? "v6" : "true";
      } else if (args.isEmpty()) {
        throw new ParameterException(commandSpec.commandLine(), "Missing required parameter for option '" + option.longestName() + "'");
      } else {
        value = args.pop();
      }
      ((ObserveCommand) commandSpec.userObject()).filterFlags.add(new String[] {name, value});
    }
  }

  @Override
  public Integer call() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    GetFlowsRequest request;
    FlowPrinter.Options options;
    try {
      options = printerOptions();
      request = request(Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      err.println("hexgate: " + e.getMessage());
      return 2;
    }
    if (printRawFilters) {
      out.print(RawFilters.yaml(request));
      return 0;
    }
    ManagedChannel channel;
    try {
      channel = HubbleServer.dial(HubbleServer.target(server, System.getenv()));
    } catch (IllegalArgumentException e) {
      err.println("hexgate: " + e.getMessage());
      return 2;
    }
    PrintStream errors = silentErrors ? new PrintStream(PrintStream.nullOutputStream()) : err;
    try (FlowPrinter printer = new FlowPrinter(options, out, errors)) {
      Iterator<GetFlowsResponse> responses = ObserverGrpc.newBlockingStub(channel).getFlows(request);
      while (responses.hasNext()) {
        printer.write(responses.next());
        out.flush();
      }
      return 0;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.CANCELLED) {
        return 0;
      }
      // the CLI prints a server's own message (code Unknown) bare
      err.println("hexgate: " + (e.getStatus().getCode() == Status.Code.UNKNOWN ? e.getStatus().getDescription() : HubbleServer.describe(e)));
      return 1;
    } finally {
      HubbleServer.close(channel);
    }
  }

  FlowPrinter.Options printerOptions() {
    FlowPrinter.Output out = switch (output) {
      case "compact" -> FlowPrinter.Output.COMPACT;
      case "dict" -> FlowPrinter.Output.DICT;
      case "json", "JSON", "jsonpb" -> FlowPrinter.Output.JSONPB;
      case "tab", "table" -> {
        if (follow) {
          throw new IllegalArgumentException("table output format is not compatible with follow mode");
        }
        yield FlowPrinter.Output.TABLE;
      }
      default -> throw new IllegalArgumentException("invalid output format: " + output);
    };
    return new FlowPrinter.Options(out, printNodeName, ipTranslation && !numeric, printPolicyNames, debug);
  }

  /**
   * The request the flags ask for, times relative to {@code clock}.
   *
   * @throws IllegalArgumentException with Hubble's message for flags it refuses
   */
  GetFlowsRequest request(Clock clock) {
    FilterFlags filters = new FilterFlags();
    for (String[] flag : filterFlags) {
      filters.set(flag[0], flag[1]);
    }
    List<String> mask = fieldMask;
    if (printerOptions().output() != FlowPrinter.Output.JSONPB) {
      if (!fieldMask.isEmpty()) {
        throw new IllegalArgumentException(output + " output format is not compatible with custom field mask");
      }
      mask = useDefaultFieldMasks ? FlowsRequests.DEFAULT_FIELD_MASK : List.of();
    }
    return FlowsRequests.build(new FlowsRequests.Selectors(last, first, all, follow, since, until), filters, allowlist, denylist, mask, clock);
  }

  /** {@code --print-raw-filters}: YAML lists of single-quoted JSON FlowFilters. */
  static final class RawFilters {
    private RawFilters() {}

    static String yaml(GetFlowsRequest request) {
      StringBuilder b = new StringBuilder();
      if (request.getWhitelistCount() > 0) {
        b.append("allowlist:\n");
        request.getWhitelistList().forEach(f -> b.append("    - '").append(json(f).replace("'", "''")).append("'\n"));
      }
      if (request.getBlacklistCount() > 0) {
        b.append("denylist:\n");
        request.getBlacklistList().forEach(f -> b.append("    - '").append(json(f).replace("'", "''")).append("'\n"));
      }
      return b.toString();
    }

    /**
     * One filter as Go's encoding/json writes it: protobuf's JSON printer also escapes {@code =} and {@code '}
     * (as {@code \u003d}, {@code \u0027}), which Go leaves as they are, and a label selector is full of them.
     */
    static String json(FlowFilter filter) {
      String escaped = HubbleJson.line(filter);
      StringBuilder b = new StringBuilder(escaped.length());
      for (int i = 0; i < escaped.length(); i++) {
        char c = escaped.charAt(i);
        if (c == '\\' && escaped.startsWith("u003d", i + 1)) {
          b.append('=');
          i += 5;
        } else if (c == '\\' && escaped.startsWith("u0027", i + 1)) {
          b.append('\'');
          i += 5;
        } else {
          b.append(c);
          if (c == '\\' && i + 1 < escaped.length()) {
            b.append(escaped.charAt(++i)); // an escaped character, e.g. the second backslash of \\
          }
        }
      }
      return b.toString();
    }
  }
}
