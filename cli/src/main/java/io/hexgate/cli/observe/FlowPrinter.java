package io.hexgate.cli.observe;

import io.hexgate.contract.hubble.flow.AuthType;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.Layer4;
import io.hexgate.contract.hubble.flow.Layer7;
import io.hexgate.contract.hubble.flow.LostEvent;
import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.hubble.flow.TrafficDirection;
import io.hexgate.contract.hubble.observer.GetFlowsResponse;
import io.hexgate.contract.hubble.relay.NodeStatusEvent;
import io.hexgate.observer.json.HubbleJson;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints GetFlows answers the way {@code hubble observe} does, in one of its output formats: compact lines,
 * dict records, a table (printed when the stream ends) or one JSON GetFlowsResponse a line. Node status
 * events go to the error stream, only the failures unless debugging, as the CLI prints them.
 */
final class FlowPrinter implements AutoCloseable {
  enum Output { COMPACT, DICT, TABLE, JSONPB }

  /** The options of {@code hubble observe} that change what is printed. */
  record Options(Output output, boolean nodeName, boolean ipTranslation, boolean policyNames, boolean debug) {
    static Options of(Output output) {
      return new Options(output, false, true, false, false);
    }
  }

  static final String DICT_SEPARATOR = "------------";
  private static final int NODE_NAMES_CUT_OFF = 50;

  private final Options opts;
  private final PrintStream out;
  private final PrintStream err;
  private final TabTable table = new TabTable(2, 3);
  private int line;

  FlowPrinter(Options opts, PrintStream out, PrintStream err) {
    this.opts = opts;
    this.out = out;
    this.err = err;
  }

  void write(GetFlowsResponse res) {
    switch (res.getResponseTypesCase()) {
      case FLOW -> writeFlow(res);
      case NODE_STATUS -> writeNodeStatus(res);
      case LOST_EVENTS -> writeLost(res);
      case RESPONSETYPES_NOT_SET -> { }
      default -> {
        if (opts.debug()) {
          err.println("unknown response type: " + res.getResponseTypesCase());
        }
      }
    }
  }

  private void writeFlow(GetFlowsResponse res) {
    Flow f = res.getFlow();
    String time = HubbleTime.format(f.hasTime() ? f.getTime() : null);
    switch (opts.output()) {
      case TABLE -> {
        String[] hosts = hostNames(f);
        tableHeader();
        List<String> row = new ArrayList<>(List.of(time));
        if (opts.nodeName()) {
          row.add(f.getNodeName());
        }
        row.addAll(List.of(hosts[0], hosts[1], flowType(f), verdict(f), summary(f)));
        table.add(row);
      }
      case DICT -> {
        String[] hosts = hostNames(f);
        StringBuilder b = new StringBuilder();
        if (line != 0) {
          b.append(DICT_SEPARATOR).append('\n');
        }
        b.append("  TIMESTAMP: ").append(time).append('\n');
        if (opts.nodeName()) {
          b.append("       NODE: ").append(f.getNodeName()).append('\n');
        }
        b.append("     SOURCE: ").append(hosts[0]).append('\n')
            .append("DESTINATION: ").append(hosts[1]).append('\n')
            .append("       TYPE: ").append(flowType(f)).append('\n')
            .append("    VERDICT: ").append(verdict(f)).append('\n')
            .append("    SUMMARY: ").append(summary(f)).append('\n');
        out.print(b);
      }
      case COMPACT -> out.print(compact(f));
      case JSONPB -> out.println(HubbleJson.line(res));
    }
    line++;
  }

  /** One compact line, with its newline. */
  String compact(Flow f) {
    String[] hosts = hostNames(f);
    String src = hosts[0];
    String dst = hosts[1];
    String srcId = identity(f.getSource().getIdentity());
    String dstId = identity(f.getDestination().getIdentity());
    String arrow = "->";
    if (!f.hasIsReply()) {
      arrow = "<>";
    } else if (f.getIsReply().getValue()) {
      // a reply prints from the connection's initiator, so the endpoints swap
      String s = src;
      src = dst;
      dst = s;
      s = srcId;
      srcId = dstId;
      dstId = s;
      arrow = "<-";
    }
    String node = opts.nodeName() ? " [" + f.getNodeName() + "]" : "";
    return HubbleTime.format(f.hasTime() ? f.getTime() : null) + node + ": " + src + " " + srcId + " " + arrow + " " + dst + " "
        + dstId + " " + flowType(f) + " " + verdict(f) + " (" + summary(f) + ")\n";
  }

  private void tableHeader() {
    if (line == 0) {
      List<String> header = new ArrayList<>(List.of("TIMESTAMP"));
      if (opts.nodeName()) {
        header.add("NODE");
      }
      header.addAll(List.of("SOURCE", "DESTINATION", "TYPE", "VERDICT", "SUMMARY"));
      table.add(header);
    }
  }

  private void writeNodeStatus(GetFlowsResponse r) {
    NodeStatusEvent s = r.getNodeStatus();
    if (!opts.debug()) {
      switch (s.getStateChange()) {
        case NODE_ERROR, NODE_UNAVAILABLE -> { }
        default -> {
          return;
        }
      }
    }
    String time = HubbleTime.format(r.hasTime() ? r.getTime() : null);
    switch (opts.output()) {
      case JSONPB -> err.println(HubbleJson.line(r));
      case DICT -> {
        StringBuilder b = new StringBuilder();
        if (line != 0) {
          b.append(DICT_SEPARATOR).append('\n');
        } else {
          line++;
        }
        String message = s.getMessage().isEmpty() ? "N/A" : goQuote(s.getMessage());
        b.append("  TIMESTAMP: ").append(time).append('\n')
            .append("      STATE: ").append(s.getStateChange().name()).append('\n')
            .append("      NODES: ").append(joinWithCutOff(s.getNodeNamesList())).append('\n')
            .append("    MESSAGE: ").append(message).append('\n');
        err.print(b);
      }
      case TABLE, COMPACT -> {
        int numNodes = s.getNodeNamesCount();
        String nodeNames = joinWithCutOff(s.getNodeNamesList());
        String prefix = time + " [" + r.getNodeName() + "]";
        String msg = switch (s.getStateChange()) {
          case NODE_CONNECTED -> prefix + ": Receiving flows from " + numNodes + " nodes: " + nodeNames;
          case NODE_UNAVAILABLE -> prefix + ": " + numNodes + " nodes are unavailable: " + nodeNames;
          case NODE_GONE -> prefix + ": " + numNodes + " nodes removed from cluster: " + nodeNames;
          case NODE_ERROR -> prefix + ": Error " + goQuote(s.getMessage()) + " on " + numNodes + " nodes: " + nodeNames;
          default -> prefix + ": unknown node status event: " + s.toString().replace('\n', ' ').trim();
        };
        err.println(msg);
      }
    }
  }

  private void writeLost(GetFlowsResponse res) {
    LostEvent f = res.getLostEvents();
    String time = HubbleTime.format(res.hasTime() ? res.getTime() : null);
    String firstLast = f.hasFirst() && f.hasLast()
        ? " (first: " + HubbleTime.format(f.getFirst()) + ", last: " + HubbleTime.format(f.getLast()) + ")" : "";
    String source = f.getSource().name();
    switch (opts.output()) {
      case TABLE -> {
        tableHeader();
        List<String> row = new ArrayList<>(List.of(time));
        if (opts.nodeName()) {
          row.add(res.getNodeName().isEmpty() ? "-" : res.getNodeName());
        }
        row.addAll(List.of(source, "-", "EVENTS LOST", "-", "CPU(" + f.getCpu().getValue() + ") - " + Long.toUnsignedString(f.getNumEventsLost()) + firstLast));
        table.add(row);
      }
      case DICT -> {
        StringBuilder b = new StringBuilder();
        if (line != 0) {
          b.append(DICT_SEPARATOR).append('\n');
        }
        b.append("  TIMESTAMP: ").append(time).append('\n');
        if (opts.nodeName()) {
          b.append("       NODE: ").append(res.getNodeName().isEmpty() ? "-" : res.getNodeName()).append('\n');
        }
        b.append("     SOURCE: ").append(source).append('\n')
            .append("       TYPE: EVENTS LOST\n")
            .append("    VERDICT: -\n")
            .append("    SUMMARY: CPU(").append(f.getCpu().getValue()).append(") - ").append(Long.toUnsignedString(f.getNumEventsLost())).append(firstLast).append('\n');
        out.print(b);
      }
      case COMPACT -> out.print(time + " EVENTS LOST: " + source + " CPU(" + f.getCpu().getValue() + ") "
          + Long.toUnsignedString(f.getNumEventsLost()) + firstLast + "\n");
      case JSONPB -> out.println(HubbleJson.line(res));
    }
    line++;
  }

  /** Prints what is held back (the table) and flushes. */
  @Override
  public void close() {
    table.printTo(out);
    out.flush();
    err.flush();
  }

  /** SOURCE and DESTINATION: {@code host[:port]}, the host named by pod, service or DNS names unless numeric. */
  private String[] hostNames(Flow f) {
    if (!f.hasIP()) {
      if (f.hasEthernet()) {
        return new String[] {f.getEthernet().getSource(), f.getEthernet().getDestination()};
      }
      return new String[] {"", ""};
    }
    String srcNs = f.getSource().getNamespace();
    String dstNs = f.getDestination().getNamespace();
    String srcSvc = "";
    String dstSvc = "";
    if (f.hasSourceService()) {
      srcNs = f.getSourceService().getNamespace();
      srcSvc = f.getSourceService().getName();
    }
    if (f.hasDestinationService()) {
      dstNs = f.getDestinationService().getNamespace();
      dstSvc = f.getDestinationService().getName();
    }
    String[] ports = ports(f.getL4());
    return new String[] {
      hostname(f.getIP().getSource(), ports[0], srcNs, f.getSource().getPodName(), srcSvc, f.getSourceNamesList()),
      hostname(f.getIP().getDestination(), ports[1], dstNs, f.getDestination().getPodName(), dstSvc, f.getDestinationNamesList())};
  }

  private String hostname(String ip, String port, String ns, String pod, String svc, List<String> names) {
    String host = ip;
    if (opts.ipTranslation()) {
      if (!pod.isEmpty()) {
        host = joinPath(ns, pod);
      } else if (!svc.isEmpty()) {
        host = joinPath(ns, svc);
      } else if (!names.isEmpty()) {
        host = String.join(",", names);
      }
    }
    if (!port.isEmpty() && !port.equals("0")) {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
    return host;
  }

  private static String joinPath(String ns, String name) {
    return ns.isEmpty() ? name : ns + "/" + name;
  }

  private static String[] ports(Layer4 l4) {
    return switch (l4.getProtocolCase()) {
      case TCP -> new String[] {Integer.toUnsignedString(l4.getTCP().getSourcePort()), Integer.toUnsignedString(l4.getTCP().getDestinationPort())};
      case UDP -> new String[] {Integer.toUnsignedString(l4.getUDP().getSourcePort()), Integer.toUnsignedString(l4.getUDP().getDestinationPort())};
      case SCTP -> new String[] {Integer.toUnsignedString(l4.getSCTP().getSourcePort()), Integer.toUnsignedString(l4.getSCTP().getDestinationPort())};
      default -> new String[] {"", ""};
    };
  }

  private static String identity(int identity) {
    return MonitorNames.reservedIdentity(identity).map(n -> "(" + n + ")").orElse("(ID:" + Integer.toUnsignedString(identity) + ")");
  }

  /** TYPE: the L7 protocol and kind, the trace point, the drop reason's text, or the policy verdict's match and direction. */
  static String flowType(Flow f) {
    if (f.hasL7()) {
      Layer7 l7 = f.getL7();
      String type = l7.getType().name().toLowerCase(Locale.ROOT);
      String protocol = switch (l7.getRecordCase()) {
        case HTTP -> "http";
        case DNS -> {
          type += " " + l7.getDns().getObservationSource();
          yield "dns";
        }
        case KAFKA -> "kafka";
        default -> "l7";
      };
      return protocol + "-" + type;
    }
    int subType = f.getEventType().getSubType();
    return switch (f.getEventType().getType()) {
      case MonitorNames.TRACE -> MonitorNames.tracePoint(subType);
      case MonitorNames.DROP -> MonitorNames.dropReason(subType);
      case MonitorNames.POLICY_VERDICT -> "policy-verdict:" + MonitorNames.policyMatchType(f.getPolicyMatchType()) + " "
          + f.getTrafficDirection().name();
      // Hexgate's flows carry no capture point or socket translation point: the CLI prints their zero values
      case MonitorNames.CAPTURE -> "DBG_CAPTURE_POINT_UNKNOWN";
      case MonitorNames.TRACE_SOCK -> "SOCK_XLATE_POINT_UNKNOWN";
      default -> "UNKNOWN";
    };
  }

  private String verdict(Flow f) {
    boolean policyVerdict = f.getEventType().getType() == MonitorNames.POLICY_VERDICT;
    String msg = f.getVerdict().name();
    switch (f.getVerdict()) {
      case FORWARDED, REDIRECTED -> {
        if (policyVerdict) {
          msg = "ALLOWED" + policyNames(f, f.getEgressAllowedByList(), f.getIngressAllowedByList());
        }
      }
      case DROPPED, ERROR -> {
        if (policyVerdict) {
          msg = "DENIED" + policyNames(f, f.getEgressDeniedByList(), f.getIngressDeniedByList());
        }
      }
      case AUDIT -> {
        if (policyVerdict) {
          msg = "AUDITED";
        }
      }
      case UNRECOGNIZED -> msg = Integer.toString(f.getVerdictValue());
      default -> { }
    }
    return msg;
  }

  private String policyNames(Flow f, List<Policy> egress, List<Policy> ingress) {
    if (!opts.policyNames()) {
      return "";
    }
    List<Policy> policies = f.getTrafficDirection() == TrafficDirection.EGRESS ? egress
        : f.getTrafficDirection() == TrafficDirection.INGRESS ? ingress : List.of();
    StringBuilder b = new StringBuilder();
    for (Policy p : policies) {
      if (!p.getKind().isEmpty() && !p.getName().isEmpty()) {
        b.append(b.length() == 0 ? " BY " : ", ").append(p.getName()).append(" (").append(p.getKind()).append(')');
      }
    }
    return b.toString();
  }

  private static String summary(Flow f) {
    String s = f.getSummary();
    if (f.getAuthType() != AuthType.DISABLED) {
      s += "; Auth: " + (f.getAuthType() == AuthType.UNRECOGNIZED ? Integer.toString(f.getAuthTypeValue()) : f.getAuthType().name());
    }
    return s;
  }

  /** Node names joined up to about 50 characters, then {@code (and N more)}. */
  static String joinWithCutOff(List<String> elems) {
    int len = 0;
    int end = elems.size();
    for (int i = 0; i < elems.size(); i++) {
      len += elems.get(i).length() + 2;
      if (len > NODE_NAMES_CUT_OFF && i > 0) {
        end = i;
        break;
      }
    }
    String joined = String.join(", ", elems.subList(0, end));
    int omitted = elems.size() - end;
    return omitted == 0 ? joined : joined + " (and " + omitted + " more)";
  }

  /** Go's %q of a string: double quotes, with quotes, backslashes and control characters escaped. */
  static String goQuote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
