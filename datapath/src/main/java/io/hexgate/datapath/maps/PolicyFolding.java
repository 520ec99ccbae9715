package io.hexgate.datapath.maps;

import static io.hexgate.datapath.abi.Verdicts.MATCH_ALL;
import static io.hexgate.datapath.abi.Verdicts.MATCH_L3_L4;
import static io.hexgate.datapath.abi.Verdicts.MATCH_L3_ONLY;
import static io.hexgate.datapath.abi.Verdicts.MATCH_L3_PROTO;
import static io.hexgate.datapath.abi.Verdicts.MATCH_L4_ONLY;
import static io.hexgate.datapath.abi.Verdicts.MATCH_NONE;
import static io.hexgate.datapath.abi.Verdicts.MATCH_PROTO_ONLY;
import static io.hexgate.datapath.abi.Verdicts.VERDICT_ALLOW;
import static io.hexgate.datapath.abi.Verdicts.VERDICT_DENY;
import static io.hexgate.datapath.abi.Verdicts.VERDICT_NONE;
import static io.hexgate.datapath.abi.Verdicts.VERDICT_REDIRECT;

import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.Protocols;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToIntFunction;

/**
 * Folds one direction's {@link RuleMap} into hg_policy entries (DESIGN.md, "The policy map"): the operator's
 * semantics (every matching entry counts; deny over allow over redirect; none = no match) become disjoint
 * port intervals per (remote identity, protocol) so that the kernel's longest-prefix match, in at most two
 * lookups, answers what the whole rule map would.
 */
public final class PolicyFolding {
  private PolicyFolding() {}

  /** The protocol classes of policy keys, with the port domain the program can look up for each. */
  public enum ProtoClass {
    TCP(Protocols.PROTO_TCP, 65535),
    UDP(Protocols.PROTO_UDP, 65535),
    ICMP(Protocols.PROTO_ICMP, 255),
    SCTP(Protocols.PROTO_SCTP, 65535),
    OTHER(Protocols.PROTO_OTHER, 0);

    public final int number;
    public final int maxPort;

    ProtoClass(int number, int maxPort) {
      this.number = number;
      this.maxPort = maxPort;
    }

    /** The class an IP protocol byte is looked up as. */
    public static ProtoClass of(int ipProtocol) {
      return switch (ipProtocol) {
        case Protocols.PROTO_TCP -> TCP;
        case Protocols.PROTO_UDP -> UDP;
        case Protocols.PROTO_ICMP -> ICMP;
        case Protocols.PROTO_SCTP -> SCTP;
        default -> OTHER;
      };
    }
  }

  /** A rule map entry as the folding needs it; {@code index} is its position in the rule map. */
  record Entry(int index, int identity, boolean anyProtocol, ProtoClass protocol, int from, int to, int verdict,
      int ruleId, int matchType) {
    boolean matches(ProtoClass c) {
      return anyProtocol || protocol == c;
    }
  }

  /** The verdict of one point: what the straightforward reading of the rule map gives. */
  public record Decision(int verdict, int matchType, int ruleId) {
    static final Decision NONE = new Decision(VERDICT_NONE, MATCH_NONE, 0);

    public PolicyValue value() {
      return new PolicyValue(verdict, matchType, ruleId);
    }
  }

  /**
   * Adds the entries of (endpoint, direction) to {@code out}. {@code ruleIds} gives each rule map entry's
   * rule id (its list of policies). Throws IllegalArgumentException naming the entry for bad input.
   */
  public static void fold(int endpoint, int direction, RuleMap map, ToIntFunction<RuleMapEntry> ruleIds,
      Map<PolicyKey, PolicyValue> out) {
    List<Entry> entries = entries(map, ruleIds);
    Map<Integer, List<Entry>> byIdentity = new java.util.TreeMap<>();
    for (Entry e : entries) {
      byIdentity.computeIfAbsent(e.identity, k -> new ArrayList<>()).add(e);
    }
    List<Entry> wildcard = byIdentity.getOrDefault(0, List.of());
    writeTable(endpoint, direction, 0, wildcard, out);
    for (Map.Entry<Integer, List<Entry>> g : byIdentity.entrySet()) {
      if (g.getKey() != 0) {
        writeTable(endpoint, direction, g.getKey(), inRuleMapOrder(g.getValue(), wildcard), out);
      }
    }
  }

  /** Two index-ordered lists merged in rule map order: which entry names the rule depends on it. */
  private static List<Entry> inRuleMapOrder(List<Entry> a, List<Entry> b) {
    List<Entry> out = new ArrayList<>(a.size() + b.size());
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      if (j >= b.size() || i < a.size() && a.get(i).index < b.get(j).index) {
        out.add(a.get(i++));
      } else {
        out.add(b.get(j++));
      }
    }
    return out;
  }

  /** The rule map's entries that can match an IPv4 packet, checked. */
  static List<Entry> entries(RuleMap map, ToIntFunction<RuleMapEntry> ruleIds) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < map.getEntriesCount(); i++) {
      RuleMapEntry e = map.getEntries(i);
      String where = "rule map entry " + i;
      if (e.getRemoteIdentity() > 0xffffffffL) {
        throw new IllegalArgumentException(where + ": remote_identity " + e.getRemoteIdentity() + " exceeds 32 bits");
      }
      if (e.getPortFrom() > e.getPortTo() || e.getPortTo() > 65535) {
        throw new IllegalArgumentException(
            where + ": port range " + e.getPortFrom() + "-" + e.getPortTo() + " is not within 0-65535");
      }
      boolean any = false;
      ProtoClass proto = null;
      switch (e.getProtocol()) {
        case PROTOCOL_ANY -> any = true;
        case PROTOCOL_TCP -> proto = ProtoClass.TCP;
        case PROTOCOL_UDP -> proto = ProtoClass.UDP;
        case PROTOCOL_ICMP -> proto = ProtoClass.ICMP;
        case PROTOCOL_SCTP -> proto = ProtoClass.SCTP;
        case PROTOCOL_ICMPV6 -> {
          continue; // never matches an IPv4 packet
        }
        default -> throw new IllegalArgumentException(where + ": unknown protocol " + e.getProtocolValue());
      }
      int verdict = switch (e.getAction()) {
        case ACTION_ALLOW -> VERDICT_ALLOW;
        case ACTION_DENY -> VERDICT_DENY;
        case ACTION_REDIRECT -> VERDICT_REDIRECT;
        default -> throw new IllegalArgumentException(where + ": unknown action " + e.getActionValue());
      };
      int identity = (int) e.getRemoteIdentity();
      out.add(new Entry(i, identity, any, proto, e.getPortFrom(), e.getPortTo(), verdict, ruleIds.applyAsInt(e),
          matchType(identity != 0, any, e.getPortFrom() == 0 && e.getPortTo() == 65535)));
    }
    return out;
  }

  /** Cilium's match type of an entry (cilium-policy.md §7.3). */
  static int matchType(boolean l3, boolean anyProtocol, boolean allPorts) {
    if (!allPorts) {
      return l3 ? MATCH_L3_L4 : MATCH_L4_ONLY;
    }
    if (anyProtocol) {
      return l3 ? MATCH_L3_ONLY : MATCH_ALL;
    }
    return l3 ? MATCH_L3_PROTO : MATCH_PROTO_ONLY;
  }

  private static int rank(int verdict) {
    return switch (verdict) {
      case VERDICT_DENY -> 3;
      case VERDICT_ALLOW -> 2;
      case VERDICT_REDIRECT -> 1;
      default -> 0;
    };
  }

  /** The decision at one (protocol, port) among {@code entries}: deny > allow > redirect; the first entry
   *  of the winning action names the rule. */
  static Decision decide(List<Entry> entries, ProtoClass c, int port) {
    Entry best = null;
    for (Entry e : entries) {
      if (e.matches(c) && e.from <= port && port <= e.to && (best == null || rank(e.verdict) > rank(best.verdict))) {
        best = e;
      }
    }
    return best == null ? Decision.NONE : new Decision(best.verdict, best.matchType, best.ruleId);
  }

  record Interval(int from, int to, Decision decision) {}

  /** Disjoint, merged intervals covering the class's whole port domain. */
  static List<Interval> intervals(List<Entry> entries, ProtoClass c) {
    TreeSet<Integer> cuts = new TreeSet<>();
    cuts.add(0);
    for (Entry e : entries) {
      if (e.matches(c) && e.from <= c.maxPort) {
        cuts.add(e.from);
        if (e.to < c.maxPort) {
          cuts.add(e.to + 1);
        }
      }
    }
    List<Interval> out = new ArrayList<>();
    Integer[] points = cuts.toArray(new Integer[0]);
    for (int i = 0; i < points.length; i++) {
      int from = points[i];
      int to = i + 1 < points.length ? points[i + 1] - 1 : c.maxPort;
      Decision d = decide(entries, c, from);
      Interval last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && last.decision.equals(d)) {
        out.set(out.size() - 1, new Interval(last.from, to, d));
      } else {
        out.add(new Interval(from, to, d));
      }
    }
    return out;
  }

  private static void writeTable(int endpoint, int direction, int identity, List<Entry> entries,
      Map<PolicyKey, PolicyValue> out) {
    ProtoClass[] classes = ProtoClass.values();
    List<List<Interval>> perClass = new ArrayList<>();
    for (ProtoClass c : classes) {
      perClass.add(intervals(entries, c));
    }
    Decision uniform = perClass.get(0).get(0).decision;
    for (List<Interval> l : perClass) {
      if (l.size() != 1 || !l.get(0).decision.equals(uniform)) {
        uniform = null;
        break;
      }
    }
    if (uniform != null) {
      // One verdict for everything: the table entry alone (for identity 0 only when something matches;
      // a miss there already means no match).
      if (identity != 0 || uniform.verdict != VERDICT_NONE) {
        out.put(PolicyKey.table(endpoint, identity, direction), uniform.value());
      }
      return;
    }
    if (identity != 0) {
      out.put(PolicyKey.table(endpoint, identity, direction), Decision.NONE.value());
    }
    for (int ci = 0; ci < classes.length; ci++) {
      ProtoClass c = classes[ci];
      List<Interval> ivs = perClass.get(ci);
      if (ivs.size() == 1) {
        if (ivs.get(0).decision.verdict != VERDICT_NONE) {
          out.put(PolicyKey.proto(endpoint, identity, direction, c.number), ivs.get(0).decision.value());
        }
        continue;
      }
      // The protocol entry answers for the decision that would need the most blocks; the others get blocks.
      Map<Decision, List<int[]>> blocks = new java.util.LinkedHashMap<>();
      blocks.put(Decision.NONE, new ArrayList<>());
      for (Interval iv : ivs) {
        List<int[]> bs = blocks.computeIfAbsent(iv.decision, d -> new ArrayList<>());
        int lo = iv.from;
        while (lo <= iv.to) {
          int size = lo == 0 ? 65536 : Integer.lowestOneBit(lo);
          while (lo + size - 1 > iv.to) {
            size >>= 1;
          }
          bs.add(new int[] {16 - Integer.numberOfTrailingZeros(size), lo});
          lo += size;
        }
      }
      Decision rest = Decision.NONE;
      for (Map.Entry<Decision, List<int[]>> e : blocks.entrySet()) {
        if (e.getValue().size() > blocks.get(rest).size()) {
          rest = e.getKey();
        }
      }
      int prefixes = 0;
      for (Map.Entry<Decision, List<int[]>> e : blocks.entrySet()) {
        if (e.getKey().equals(rest)) {
          continue;
        }
        for (int[] b : e.getValue()) {
          prefixes |= 1 << b[0];
          out.put(PolicyKey.block(endpoint, identity, direction, c.number, b[0], b[1]), e.getKey().value());
        }
      }
      out.put(PolicyKey.proto(endpoint, identity, direction, c.number),
          new PolicyValue(rest.verdict, rest.matchType, rest.ruleId, prefixes));
    }
  }
}
