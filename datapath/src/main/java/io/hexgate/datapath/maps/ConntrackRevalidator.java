package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.Verdicts;
import java.util.Map;

/**
 * Judges a recorded connection again under new map contents, as the program judged it when it was new: the
 * pod's address is still the endpoint that recorded it, its peer address still has the identity it had,
 * and the policy of the connection's direction still allows its protocol and port. The program does the
 * same ({@code ct_still_allowed}) when it meets an entry of an older policy generation; the Java twin
 * mirrors it, and {@link ConntrackGc} uses it for idle connections.
 */
public final class ConntrackRevalidator {
  private static final int ICMP_ECHO_REQUEST = 8;
  private static final int ICMP_ECHO_REPLY = 0;

  private final PolicyTable policy;
  private final IpcacheTable ipcache;
  private final Map<EndpointKey, EndpointValue> endpoints;
  private long judged;

  public ConntrackRevalidator(MapContents contents) {
    this(contents.endpoints(), new PolicyTable(contents.policy()),
        new IpcacheTable(contents.ipcacheHosts(), contents.ipcache()));
  }

  public ConntrackRevalidator(Map<EndpointKey, EndpointValue> endpoints, PolicyTable policy, IpcacheTable ipcache) {
    this.endpoints = endpoints;
    this.policy = policy;
    this.ipcache = ipcache;
  }

  /**
   * Whether going from {@code from} to {@code to} can change a recorded connection's verdict: the policy
   * entries, identities or endpoints differ. Other changes (services alone) leave every judgement as it was,
   * and the policy generation stays.
   */
  public static boolean needed(MapContents from, MapContents to) {
    return !from.policy().equals(to.policy()) || !from.ipcacheHosts().equals(to.ipcacheHosts())
        || !from.ipcache().equals(to.ipcache()) || !from.endpoints().equals(to.endpoints());
  }

  /**
   * Whether connection entry or reply entry {@code k} → {@code v} would be allowed as new now (for a reply
   * entry: its connection, the reversed tuple); a proxied one, redirected. Not for service entries, which hold a backend choice.
   */
  public boolean stillAllowed(CtKey k, CtValue v) {
    judged++;
    CtKey c = v.isReply() ? k.reply() : k;
    boolean egress = c.direction() == Directions.DIR_EGRESS;
    EndpointValue ep = endpoints.get(new EndpointKey(egress ? c.saddr() : c.daddr()));
    // the pod's interface too: a pod recreated on the address has another one
    if (ep == null || ep.id() != v.endpoint() || ep.ifindex() != v.ifindex()) {
      return false;
    }
    int remote = ipcache.identityOf(egress ? c.daddr() : c.saddr());
    if (remote != v.peerIdentity()) {
      return false;
    }
    int proto;
    int port;
    switch (c.protocol()) {
      case Protocols.PROTO_TCP, Protocols.PROTO_UDP, Protocols.PROTO_SCTP -> {
        proto = c.protocol();
        port = c.dport();
      }
      case Protocols.PROTO_ICMP -> {
        // recorded by an echo request: the identifier is the source port; by an echo reply: the destination
        proto = Protocols.PROTO_ICMP;
        port = c.sport() != 0 || c.dport() == 0 ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY;
      }
      default -> {
        proto = Protocols.PROTO_OTHER;
        port = 0;
      }
    }
    PolicyValue p = policy.lookup(ep.id(), remote, c.direction(), proto, port);
    // a proxied connection stands while its entry still redirects (or allows: the proxy then denies)
    return p != null && (p.verdict() == Verdicts.VERDICT_ALLOW
        || (v.flags() & CtFlags.CT_PROXY) != 0 && p.verdict() == Verdicts.VERDICT_REDIRECT);
  }

  /** How many entries this instance has judged (tests: revalidation looks only at what it must). */
  public long judged() {
    return judged;
  }
}
