package io.hexgate.datapath.maps;

import io.hexgate.datapath.maps.Layouts.CtKey;
import io.hexgate.datapath.maps.Layouts.CtValue;
import java.util.HashSet;
import java.util.Set;

/**
 * Judges recorded connections again under new map contents, as the program judged them when they were new:
 * the endpoint that recorded them, the peer address's identity now, the protocol and the port. Used by
 * {@link MapWriter#revalidateConntrack} and the Java twin, so that a removed allow cuts established
 * connections (which skip the policy lookup) while connections still allowed survive a policy change.
 */
public final class ConntrackRevalidator {
  private static final int ICMP_ECHO_REQUEST = 8;
  private static final int ICMP_ECHO_REPLY = 0;

  private final PolicyTable policy;
  private final IpcacheTable ipcache;
  private final Set<Integer> endpoints = new HashSet<>();

  public ConntrackRevalidator(MapContents contents) {
    this.policy = new PolicyTable(contents.policy());
    this.ipcache = new IpcacheTable(contents.ipcacheHosts(), contents.ipcache());
    contents.endpoints().values().forEach(v -> endpoints.add(v.id()));
  }

  /**
   * Whether going from {@code from} to {@code to} can change a recorded connection's verdict: the policy
   * entries, identities or endpoints differ. Other changes (services alone) leave every judgement as it was.
   */
  public static boolean needed(MapContents from, MapContents to) {
    return !from.policy().equals(to.policy()) || !from.ipcacheHosts().equals(to.ipcacheHosts())
        || !from.ipcache().equals(to.ipcache()) || !from.endpoints().equals(to.endpoints());
  }

  /**
   * Whether the connection would be allowed as new now. Service entries (backend choices) are kept, and so
   * are reply entries: the peer's answers to a cut connection still pass as replies, as Cilium lets them,
   * rather than start a connection of their own that would let the cut side's packets back in as its
   * replies. The address flush and the LRU remove them.
   */
  public boolean keeps(CtKey k, CtValue v) {
    if (k.direction() == Layouts.DIR_SERVICE || (v.flags() & Layouts.CT_REPLY) != 0) {
      return true;
    }
    if (!endpoints.contains(v.endpoint())) {
      return false;
    }
    boolean egress = k.direction() == Layouts.DIR_EGRESS;
    int remote = ipcache.identityOf(egress ? k.daddr() : k.saddr());
    PolicyFolding.ProtoClass cls = PolicyFolding.ProtoClass.of(k.protocol());
    int port = switch (cls) {
      // an echo request is recorded with its identifier as the source port, an echo reply as the
      // destination port (identifier 0 reads as a request)
      case ICMP -> k.sport() != 0 || k.dport() == 0 ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
      case OTHER -> 0;
      default -> k.dport();
    };
    Layouts.PolicyValue p = policy.lookup(v.endpoint(), remote, k.direction(), cls.number, port);
    return p != null && p.verdict() == Layouts.VERDICT_ALLOW;
  }
}
